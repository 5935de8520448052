"""The Kivy app: wallet mode for citizens, verifier mode for businesses."""
