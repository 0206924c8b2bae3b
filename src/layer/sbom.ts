/**
 * The layer's software bill of materials: a CycloneDX 1.6 JSON document
 * written beside the zip. It lists every distribution of every site folder
 * (read from the zip's own dist-info, so it lists exactly what the zip
 * holds), with its purl, the SHA-256 of the file it came from where the
 * installer or the lock gave it, its declared license and how it was built
 * from source; its metadata names the layer, its runtimes and architectures
 * and the zip's SHA-256. The same layer gives the same bytes: no timestamp,
 * and a serial number derived from the content.
 */
import crypto from 'node:crypto'
import fs from 'node:fs'
import { normalizeName } from '../requirements/names.js'
import type { Architecture, Runtime } from '../runtimes.js'
import type { BuiltLayer, SiteRecord } from './built.js'
import { ZipReader } from './zip-reader.js'
import { hexSha256 } from './zip.js'

/** What names the layer in its SBOM. */
export interface SbomSubject {
  /** `layer-name` as given (a name or a layer ARN). */
  layerName: string
  runtimes: readonly Runtime[]
  architectures: readonly Architecture[]
}

/** A distribution's license as its METADATA declares it. */
export type DeclaredLicense = { expression: string } | { names: string[] }

/** The names of this document's own properties (CycloneDX property taxonomy: a namespace of our own). */
const NS = 'lambda-python-layer'

/** Where the SBOM of a zip goes: beside it, `<zip name without .zip>.cdx.json`. */
export function sbomPathFor(zipPath: string): string {
  return `${zipPath.replace(/\.zip$/, '')}.cdx.json`
}

/**
 * The declared license in a METADATA file's header: License-Expression
 * (PEP 639, an SPDX expression), else the License field's first line, else
 * the names of its `License ::` classifiers; undefined when it declares none.
 */
export function declaredLicense(metadata: string): DeclaredLicense | undefined {
  const fields: Array<[string, string]> = []
  for (const line of metadata.split(/\r?\n/)) {
    if (line === '') break // the body (long description) starts after a blank line
    if (/^[ \t]/.test(line)) continue // a continuation of the previous field
    const colon = line.indexOf(':')
    if (colon > 0) fields.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()])
  }
  const expression = fields.find(([k, v]) => k === 'license-expression' && v !== '')?.[1]
  if (expression) return { expression }
  const text = fields.find(([k]) => k === 'license')?.[1]
  if (text && !/^unknown$/i.test(text)) return { names: [text] }
  const classified = fields
    .filter(([k, v]) => k === 'classifier' && v.startsWith('License ::'))
    .map(([, v]) => v.split('::').pop()?.trim() ?? '')
    .filter(name => name !== '' && name !== 'OSI Approved')
  return classified.length > 0 ? { names: [...new Set(classified)] } : undefined
}

/** `pkg:pypi/<normalized name>@<version>` (purl-spec's PyPI type: lowercase, `-` for runs of `-_.`). */
export function pypiPurl(name: string, version: string): string {
  return `pkg:pypi/${normalizeName(name)}@${encodeURIComponent(version)}`
}

/**
 * The declared license of each distribution of each site folder of the zip,
 * by `<site dir>\n<normalized name>\n<version>`, read from its dist-info METADATA.
 */
export async function licensesInZip(
  zipPath: string,
  sha256: string,
  sites: readonly Pick<SiteRecord, 'dir'>[]
): Promise<Map<string, DeclaredLicense>> {
  const zip = await ZipReader.open(zipPath, sha256)
  if (!zip) throw new Error(`the layer zip ${zipPath} cannot be read back for its SBOM`)
  const licenses = new Map<string, DeclaredLicense>()
  try {
    for (const name of zip.names()) {
      const site = sites.find(s => name.startsWith(`${s.dir}/`))
      const folder = site && /^([^/]+)\.dist-info\/METADATA$/.exec(name.slice(site.dir.length + 1))
      if (!site || !folder) continue
      const entry = zip.get(name)
      const data = entry && (await zip.data(entry))
      if (!data) continue
      const text = data.toString('utf8')
      const header = /^Name:\s*(.+?)\s*$/im.exec(text)?.[1]
      const version = /^Version:\s*(.+?)\s*$/im.exec(text)?.[1]
      const license = declaredLicense(text)
      if (header && version && license) {
        licenses.set(`${site.dir}\n${normalizeName(header)}\n${version}`, license)
      }
    }
  } finally {
    await zip.close()
  }
  return licenses
}

/** A UUID (RFC 9562 version 8, custom) from the first bytes of a SHA-256 of `content`. */
function contentUuid(content: string): string {
  const b = crypto.createHash('sha256').update(content).digest().subarray(0, 16)
  b[6] = (b[6] & 0x0f) | 0x80
  b[8] = (b[8] & 0x3f) | 0x80
  const hex = b.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const property = (name: string, value: string): { name: string; value: string } => ({
  name: `${NS}:${name}`,
  value
})

/** The SBOM document of a layer, as JSON text (2-space indented, newline-terminated). */
export function sbomDocument(
  layer: Pick<BuiltLayer, 'zip' | 'sites'>,
  subject: SbomSubject,
  licenses: ReadonlyMap<string, DeclaredLicense>
): string {
  const zipHex = hexSha256(layer.zip.sha256)
  const components = layer.sites.flatMap(site =>
    [...site.packages]
      .sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name), 'en'))
      .map(p => {
        const name = normalizeName(p.name)
        const license = licenses.get(`${site.dir}\n${name}\n${p.version}`)
        return {
          type: 'library',
          'bom-ref': `${site.runtime}/${name}@${p.version}`,
          name: p.name,
          version: p.version,
          ...(p.sha256 ? { hashes: [{ alg: 'SHA-256', content: p.sha256 }] } : {}),
          ...(license
            ? {
                licenses:
                  'expression' in license
                    ? [{ expression: license.expression, acknowledgement: 'declared' }]
                    : license.names.map(n => ({
                        license: { name: n, acknowledgement: 'declared' }
                      }))
              }
            : {}),
          purl: pypiPurl(p.name, p.version),
          properties: [
            property('runtime', site.runtime),
            property('site-folder', site.dir),
            property('python', site.python),
            ...(p.builtFromSource ? [property('built-from-source', p.builtFromSource)] : [])
          ]
        }
      })
  )
  const body = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: {
      tools: {
        components: [{ type: 'application', name: 'lambda-python-layer-action' }]
      },
      component: {
        type: 'file',
        'bom-ref': 'layer',
        name: subject.layerName,
        hashes: [{ alg: 'SHA-256', content: zipHex }],
        properties: [
          ...subject.runtimes.map(r => property('runtime', r)),
          ...subject.architectures.map(a => property('architecture', a)),
          property('code-sha256', layer.zip.sha256)
        ]
      }
    },
    components,
    dependencies: [
      { ref: 'layer', dependsOn: components.map(c => c['bom-ref']) },
      ...components.map(c => ({ ref: c['bom-ref'] }))
    ]
  }
  const { $schema, bomFormat, specVersion, ...rest } = body
  const serialNumber = `urn:uuid:${contentUuid(JSON.stringify(body))}`
  return `${JSON.stringify({ $schema, bomFormat, specVersion, serialNumber, ...rest }, null, 2)}\n`
}

/** Writes the layer's SBOM beside its zip; returns its path. */
export async function writeSbom(layer: BuiltLayer, subject: SbomSubject): Promise<string> {
  const file = sbomPathFor(layer.zip.path)
  const licenses = await licensesInZip(layer.zip.path, layer.zip.sha256, layer.sites)
  fs.writeFileSync(file, sbomDocument(layer, subject, licenses))
  return file
}
