from mobileid.cli import main

main()
