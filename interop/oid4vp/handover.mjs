// Prints the OpenID4VP 1.0 SessionTranscript hex this peer builds for the inputs on stdin (checked by the
// test suite against the worked example of Appendix B.2.6.1).
import { emit, oid4vpTranscriptBytes, readInput, thumbprint } from './common.mjs'
import { cborDecode } from '@animo-id/mdoc'

const input = readInput()
const bytes = oid4vpTranscriptBytes({ ...input, jwkThumbprint: await thumbprint(input.jwk) })
// SessionTranscriptBytes is the tag-24 wrapping; the worked example prints the SessionTranscript inside it
const inner = cborDecode(bytes)
emit({ session_transcript_bytes_hex: Buffer.from(bytes).toString('hex'), inner: inner?.buffer ? Buffer.from(inner.buffer).toString('hex') : null })
