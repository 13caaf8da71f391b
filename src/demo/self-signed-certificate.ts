import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'

/** A PEM certificate and its PEM (PKCS #8) private key, as `https.createServer` takes them. */
export interface CertificateAndKey {
  cert: string
  key: string
}

// A minimal DER encoder: just what one X.509 v3 certificate needs. Node can
// parse certificates (X509Certificate) but not make them, and the demo must
// not depend on an openssl binary being installed.
const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length
  const length = n < 0x80 ? Buffer.from([n]) : lengthBytes(n)
  return Buffer.concat([Buffer.from([tag]), length, content])
}
const lengthBytes = (n: number): Buffer => {
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts))
const integer = (bytes: Buffer) => der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes)
const bitString = (bytes: Buffer) => der(0x03, Buffer.concat([Buffer.from([0]), bytes]))
const octetString = (bytes: Buffer) => der(0x04, bytes)
const utf8 = (text: string) => der(0x0c, Buffer.from(text, 'utf8'))
const explicit = (n: number, inner: Buffer) => der(0xa0 + n, inner)
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]]
  const bytes = [a * 40 + b]
  for (const arc of rest) {
    const base128 = [arc & 0x7f]
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) base128.unshift(0x80 | (v & 0x7f))
    bytes.push(...base128)
  }
  return der(0x06, Buffer.from(bytes))
}
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`, 'ascii'))
const commonName = (name: string) => sequence(der(0x31, sequence(oid('2.5.4.3'), utf8(name))))
const extension = (id: string, value: Buffer) => sequence(oid(id), octetString(value))

/**
 * A self-signed ECDSA P-256 certificate for these DNS names (wildcards such
 * as `*.localhost` allowed) and 127.0.0.1, made in memory with Node's
 * crypto alone. For local https (the demo's `--https`, the browser tests):
 * browsers warn about it until you accept it or pass their "ignore
 * certificate errors" switch; never use it in production.
 *
 * @example
 * ```ts
 * const { cert, key } = createSelfSignedCertificate(['localhost', '*.localhost'])
 * https.createServer({ cert, key }, app).listen(4443)
 * ```
 */
export function createSelfSignedCertificate(names: string[], options: { days?: number; now?: Date } = {}): CertificateAndKey {
  if (names.length === 0 || names.some((n) => !/^(\*\.)?[a-z0-9.-]+$/i.test(n))) throw new Error(`certificate names must be DNS names, got ${names.join(', ')}`)
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const now = options.now ?? new Date()
  const notBefore = new Date(now.getTime() - 60 * 60_000)
  const notAfter = new Date(now.getTime() + (options.days ?? 365) * 86_400_000)
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'))
  const name = commonName(names[0]!)
  const altNames = sequence(...names.map((n) => der(0x82, Buffer.from(n, 'ascii'))), der(0x87, Buffer.from([127, 0, 0, 1])))
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    ecdsaWithSha256,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(
      3,
      sequence(
        extension('2.5.29.19', sequence()), // basicConstraints: not a CA (Firefox refuses a CA certificate as a server's)
        extension('2.5.29.15', bitString(Buffer.from([0x80]))), // keyUsage: digitalSignature
        extension('2.5.29.37', sequence(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        extension('2.5.29.17', altNames),
      ),
    ),
  )
  const certificate = sequence(tbs, ecdsaWithSha256, bitString(sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })))
  const base64 = certificate.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  }
}
