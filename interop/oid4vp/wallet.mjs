// The OpenWallet Foundation stack as a WALLET answering mobileid's verifier: @openid4vc/openid4vp resolves the
// openid4vp:// link (fetches and checks the signed request object, x509_hash client, against the reader root
// it is given), the presentations are made with @animo-id/mdoc (OpenID4VP 1.0 handover, device signature) and
// @sd-jwt/sd-jwt-vc (KB-JWT for the client_id and nonce), and the response is encrypted to the verifier's key
// (direct_post.jwt, ECDH-ES with apu/apv) and posted.
// stdin: {uri, reader_root_b64, credentials: {<query id>: {format, doctype?, issuer_signed_b64? | sd_jwt?, key_jwk}}}
// stdout: {status, body, client_id, enc}
import crypto from 'node:crypto'
import * as jose from 'jose'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { DeviceResponse, MDoc, parseIssuerSigned } from '@animo-id/mdoc'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import {
  emit, encryptJwe, es256Signer, fromB64, hash, mdocContext, oid4vpTranscriptBytes, readInput, sdHasher,
  thumbprint, toB64url, validateChain,
} from './common.mjs'

const input = readInput()
const client = new Openid4vpClient({
  callbacks: {
    hash, fetch, encryptJwe,
    decryptJwe: async () => ({ decrypted: false }),
    signJwt: async () => { throw new Error('this wallet signs no JWT here') },
    verifyJwt: async (signer, { compact }) => {
      if (signer.method !== 'x5c') return { verified: false }
      const chain = signer.x5c.map(fromB64)
      validateChain(chain, [fromB64(input.reader_root_b64)])
      const publicKey = new crypto.X509Certificate(Buffer.from(chain[0])).publicKey
      await jose.compactVerify(compact, publicKey)
      return { verified: true, signerJwk: publicKey.export({ format: 'jwk' }) }
    },
    getX509CertificateMetadata: () => ({ sanDnsNames: [], sanUriNames: [] }),
  },
})

const parsed = client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: input.uri })
const resolved = await client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
const request = resolved.authorizationRequestPayload
const encJwk = request.client_metadata.jwks.keys[0]

async function mdocPresentation(query, credential) {
  const fields = query.claims.map((c) => ({ path: [`$['${c.path[0]}']['${c.path[1]}']`], intent_to_retain: false }))
  const definition = { id: 'request', input_descriptors: [{ id: query.meta.doctype_value,
    format: { mso_mdoc: { alg: ['ES256'] } }, constraints: { limit_disclosure: 'required', fields } }] }
  const transcript = oid4vpTranscriptBytes({ clientId: request.client_id, nonce: request.nonce,
                                             jwkThumbprint: await thumbprint(encJwk), responseUri: request.response_uri })
  const mdoc = new MDoc([parseIssuerSigned(fromB64(credential.issuer_signed_b64), credential.doctype)])
  const response = await DeviceResponse.from(mdoc).usingPresentationDefinition(definition)
    .usingSessionTranscriptBytes(transcript).authenticateWithSignature(credential.key_jwk, 'ES256').sign(mdocContext)
  return toB64url(response.encode())
}

async function sdJwtPresentation(query, credential) {
  const sdjwt = new SDJwtVcInstance({ hasher: sdHasher, kbSigner: es256Signer(credential.key_jwk), kbSignAlg: 'ES256',
                                      saltGenerator: () => crypto.randomBytes(16).toString('base64url') })
  const frame = Object.fromEntries(query.claims.map((c) => [c.path[0], true]))
  return sdjwt.present(credential.sd_jwt, frame, {
    kb: { payload: { aud: request.client_id, nonce: request.nonce, iat: Math.floor(Date.now() / 1000) } },
  })
}

const vpToken = {}
for (const query of request.dcql_query.credentials) {
  const credential = input.credentials[query.id]
  if (!credential) continue
  vpToken[query.id] = [query.format === 'mso_mdoc' ? await mdocPresentation(query, credential)
                                                   : await sdJwtPresentation(query, credential)]
}
const response = await client.createOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request,
  authorizationResponsePayload: { vp_token: vpToken },
  jarm: {
    encryption: { nonce: crypto.randomBytes(16).toString('base64url') },
    serverMetadata: { authorization_encryption_alg_values_supported: ['ECDH-ES'],
                      authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'] },
  },
})
const submitted = await client.submitOpenid4vpAuthorizationResponse({
  authorizationRequestPayload: request, authorizationResponsePayload: response.authorizationResponsePayload,
  jarm: { responseJwt: response.jarm.responseJwt },
})
const header = JSON.parse(Buffer.from(response.jarm.responseJwt.split('.')[0], 'base64url'))
emit({ status: submitted.response.status, body: await submitted.response.text(), client_id: request.client_id,
       enc: header.enc, kid: header.kid })
