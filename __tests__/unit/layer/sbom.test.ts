import { describe, expect, it } from '@jest/globals'
import Ajv from 'ajv'
import fs from 'node:fs'
import path from 'node:path'
import type { BuiltLayer } from '../../../src/layer/built.js'
import {
  declaredLicense,
  pypiPurl,
  sbomDocument,
  sbomPathFor,
  writeSbom
} from '../../../src/layer/sbom.js'
import { zipDirectory } from '../../../src/layer/zip.js'
import {
  distInfoFolder,
  type FakeDistribution,
  makeLayer,
  tempDir,
  writeFile
} from '../../helpers/layer-fixtures.js'

/** The CycloneDX 1.6 JSON schema, vendored with the two schemas it refers to (Apache-2.0, see its folder). */
const SCHEMAS = path.join(import.meta.dirname, '..', '..', 'fixtures', 'cyclonedx')
const schema = (name: string): object =>
  JSON.parse(fs.readFileSync(path.join(SCHEMAS, name), 'utf8')) as object
const ajv = new Ajv({ allErrors: true, unknownFormats: 'ignore', logger: false })
ajv.addSchema(schema('spdx.schema.json'))
ajv.addSchema(schema('jsf-0.82.schema.json'))
const validate = ajv.compile(schema('bom-1.6.schema.json'))

/** A two-runtime layer: six and PyYAML in each, with licenses declared three ways. */
async function twoRuntimeLayer(): Promise<BuiltLayer> {
  const sites: Record<string, FakeDistribution[]> = {
    'python/lib/python3.12/site-packages': [
      { name: 'six', version: '1.17.0', files: { 'six.py': 'x = 1\n' } },
      { name: 'PyYAML', version: '6.0.2', files: { 'yaml/__init__.py': '' } },
      { name: 'local_pkg', version: '1.0+local', files: { 'local_pkg.py': '' } }
    ],
    'python/lib/python3.13/site-packages': [
      { name: 'six', version: '1.17.0', files: { 'six.py': 'x = 1\n' } }
    ]
  }
  const root = makeLayer(sites)
  const metadata: Record<string, string> = {
    six: 'Metadata-Version: 2.4\nName: six\nVersion: 1.17.0\nLicense-Expression: MIT\n\nbody\n',
    PyYAML:
      'Metadata-Version: 2.1\nName: PyYAML\nVersion: 6.0.2\nLicense: MIT\nClassifier: License :: OSI Approved :: MIT License\n\n',
    local_pkg:
      'Metadata-Version: 2.1\nName: local_pkg\nVersion: 1.0+local\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: License :: OSI Approved :: BSD License\n\nLicense: not this\n'
  }
  for (const [dir, dists] of Object.entries(sites)) {
    for (const d of dists) {
      writeFile(path.join(root, dir, distInfoFolder(d), 'METADATA'), metadata[d.name])
    }
  }
  const zip = await zipDirectory(root, path.join(tempDir('sbom-'), 'deps.zip'))
  return {
    zip,
    machineCode: false,
    sites: [
      {
        runtime: 'python3.12',
        dir: 'python/lib/python3.12/site-packages',
        python: '3.12.7',
        packages: [
          { name: 'six', version: '1.17.0', sha256: 'a'.repeat(64) },
          { name: 'PyYAML', version: '6.0.2', sha256: 'b'.repeat(64) },
          {
            name: 'local_pkg',
            version: '1.0+local',
            builtFromSource: 'pure Python, from its sdist'
          }
        ]
      },
      {
        runtime: 'python3.13',
        dir: 'python/lib/python3.13/site-packages',
        python: '3.13.1',
        packages: [{ name: 'six', version: '1.17.0' }]
      }
    ]
  }
}

const subject = {
  layerName: 'deps',
  runtimes: ['python3.12', 'python3.13'] as const,
  architectures: ['x86_64'] as const
}

interface Component {
  'bom-ref': string
  name: string
  version: string
  purl: string
  hashes?: Array<{ alg: string; content: string }>
  licenses?: unknown[]
  properties: Array<{ name: string; value: string }>
}

describe('the SBOM of a layer', () => {
  it('is valid CycloneDX 1.6 and lists every distribution of every runtime folder, with what is known of it', async () => {
    const layer = await twoRuntimeLayer()
    const file = await writeSbom(layer, {
      ...subject,
      runtimes: [...subject.runtimes],
      architectures: [...subject.architectures]
    })
    expect(file).toBe(sbomPathFor(layer.zip.path))
    expect(file.endsWith('deps.cdx.json')).toBe(true)
    const bom = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      specVersion: string
      serialNumber: string
      metadata: { component: { name: string; hashes: unknown[]; properties: unknown[] } }
      components: Component[]
    }
    const valid = validate(bom)
    expect(validate.errors ?? []).toEqual([])
    expect(valid).toBe(true)
    // The schema is in force: a hash that is not hex is refused.
    const broken = structuredClone(bom)
    broken.components[0].hashes = [{ alg: 'SHA-256', content: 'not hex' }]
    expect(validate(broken)).toBe(false)
    expect(bom.specVersion).toBe('1.6')
    expect(bom.metadata.component.name).toBe('deps')
    expect(bom.metadata.component.hashes).toEqual([
      { alg: 'SHA-256', content: Buffer.from(layer.zip.sha256, 'base64').toString('hex') }
    ])
    expect(bom.metadata.component.properties).toEqual([
      { name: 'lambda-python-layer:runtime', value: 'python3.12' },
      { name: 'lambda-python-layer:runtime', value: 'python3.13' },
      { name: 'lambda-python-layer:architecture', value: 'x86_64' },
      { name: 'lambda-python-layer:code-sha256', value: layer.zip.sha256 }
    ])
    expect(bom.components.map(c => [c['bom-ref'], c.purl])).toEqual([
      ['python3.12/local-pkg@1.0+local', 'pkg:pypi/local-pkg@1.0%2Blocal'],
      ['python3.12/pyyaml@6.0.2', 'pkg:pypi/pyyaml@6.0.2'],
      ['python3.12/six@1.17.0', 'pkg:pypi/six@1.17.0'],
      ['python3.13/six@1.17.0', 'pkg:pypi/six@1.17.0']
    ])
    const [local, yaml, six, six13] = bom.components
    expect(six.hashes).toEqual([{ alg: 'SHA-256', content: 'a'.repeat(64) }])
    expect(six.licenses).toEqual([{ expression: 'MIT', acknowledgement: 'declared' }])
    expect(yaml.licenses).toEqual([{ license: { name: 'MIT', acknowledgement: 'declared' } }])
    expect(local.licenses).toEqual([
      { license: { name: 'Apache Software License', acknowledgement: 'declared' } },
      { license: { name: 'BSD License', acknowledgement: 'declared' } }
    ])
    expect(local.hashes).toBeUndefined()
    expect(local.properties).toContainEqual({
      name: 'lambda-python-layer:built-from-source',
      value: 'pure Python, from its sdist'
    })
    expect(six13.hashes).toBeUndefined()
    expect(six13.properties).toEqual([
      { name: 'lambda-python-layer:runtime', value: 'python3.13' },
      { name: 'lambda-python-layer:site-folder', value: 'python/lib/python3.13/site-packages' },
      { name: 'lambda-python-layer:python', value: '3.13.1' }
    ])
  })

  it('gives the same bytes for the same layer, and another serial number for another one', async () => {
    const layer = await twoRuntimeLayer()
    const licenses = new Map()
    const s = { ...subject, runtimes: [...subject.runtimes], architectures: ['x86_64' as const] }
    const first = sbomDocument(layer, s, licenses)
    expect(sbomDocument(layer, s, licenses)).toBe(first)
    expect(first).not.toMatch(/timestamp/)
    const serial = (text: string) => (JSON.parse(text) as { serialNumber: string }).serialNumber
    expect(serial(first)).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    expect(serial(sbomDocument(layer, { ...s, layerName: 'other' }, licenses))).not.toBe(
      serial(first)
    )
  })
})

describe('declaredLicense', () => {
  it.each([
    [
      'License-Expression first',
      'Name: a\nLicense: MIT\nLicense-Expression: Apache-2.0 OR MIT\n',
      { expression: 'Apache-2.0 OR MIT' }
    ],
    [
      'the License field, first line only',
      'Name: a\nLicense: BSD 3-Clause\n        Copyright (c) someone\n',
      { names: ['BSD 3-Clause'] }
    ],
    ['UNKNOWN is no license', 'Name: a\nLicense: UNKNOWN\n', undefined],
    [
      'classifiers',
      'Name: a\nClassifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python\n',
      { names: ['MIT License'] }
    ],
    ['nothing after the header counts', 'Name: a\n\nLicense: MIT\n', undefined]
  ])('%s', (_, text, expected) => {
    expect(declaredLicense(text)).toEqual(expected)
  })
})

describe('pypiPurl', () => {
  it('normalizes the name and encodes the version', () => {
    expect(pypiPurl('Typing_Extensions', '4.12.2')).toBe('pkg:pypi/typing-extensions@4.12.2')
    expect(pypiPurl('zope.interface', '7.0+cpu')).toBe('pkg:pypi/zope-interface@7.0%2Bcpu')
  })
})
