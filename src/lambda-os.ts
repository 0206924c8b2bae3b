/**
 * What each Lambda OS gives a layer's binaries: the libraries the dynamic
 * loader finds in the runtime image, by soname, and the highest symbol
 * version of each versioned one. A library that is not listed is taken to
 * be absent: a layer that needs it must carry it. Kept beside runtimes.ts,
 * whose `os` names the table a runtime uses.
 *
 * Sources:
 * - Amazon Linux 2: the file listing and package list dumped from the real
 *   Lambda environment (lambci/docker-lambda, base/base-2/fs.txt at 81b246c,
 *   packages.txt and diff.txt at af0840e): every library at the top of
 *   /usr/lib64 (/lib64 links there). libstdc++.so.6.0.24 (GCC 7.3) and
 *   libgcc_s-7 give GLIBCXX_3.4.24, CXXABI_1.3.11 and GCC_7.0.0; zlib 1.2.7
 *   gives ZLIB_1.2.5.2; openssl-libs 1.0.2k gives libssl.so.10 and
 *   libcrypto.so.10. Not there (diff.txt): expat, sqlite, glib2, libcrypt,
 *   xz, bzip2, libxml2, libcurl.
 * - Amazon Linux 2023: the packages of the AL2023 minimal container image,
 *   which the python3.12+ images are built on (AL2023 user guide, "AL2023
 *   container images", 2023.6.20241031), with the sonames each package
 *   installs: glibc 2.34, GCC 11 (GLIBCXX_3.4.29, CXXABI_1.3.13), zlib
 *   1.2.11 (ZLIB_1.2.9), OpenSSL 3.0, glib2 2.74. Not there: expat,
 *   libxcrypt, libgomp, libnsl, anything of X11 or OpenGL.
 * - Both: auditwheel's manylinux_2_26 and manylinux_2_34 policies agree on
 *   these versions for aarch64 (x86_64's 2_26 policy is lower than AL2).
 *   The arm64 images carry the same packages; glibc builds libmvec only for
 *   x86_64. The runtime adds libpython3.X.so.1.0 in /var/lang/lib.
 *
 * The opencv-python case this exists for: its vendored Qt needs libGL.so.1,
 * libX11.so.6 and others that are on every Ubuntu runner and on neither
 * Lambda OS.
 */
import type { Architecture, Runtime, RuntimeInfo } from './runtimes.js'
import { RUNTIMES } from './runtimes.js'

export type LambdaOs = RuntimeInfo['os']

/** The highest version of each version prefix a library defines: { GLIBCXX: '3.4.24' }. */
export type SymbolVersions = Readonly<Record<string, string>>

interface OsFacts {
  /** Sonames in the loader's default paths on every architecture. */
  sonames: readonly string[]
  /** Sonames of one architecture only (the loader, libmvec). */
  byArchitecture: Readonly<Record<Architecture, readonly string[]>>
  /** Per soname, the highest version of each prefix (GLIBC_ is checked by runtimes.ts's glibc). */
  versions: Readonly<Record<string, SymbolVersions>>
}

/** Libraries both OSes have: glibc's, GCC's runtime, zlib, ncurses, Kerberos and the like. */
const BOTH: readonly string[] = [
  'libBrokenLocale.so.1',
  'libacl.so.1',
  'libanl.so.1',
  'libattr.so.1',
  'libc.so.6',
  'libcap.so.2',
  'libcom_err.so.2',
  'libdl.so.2',
  'libform.so.6',
  'libformw.so.6',
  'libgcc_s.so.1',
  'libgmp.so.10',
  'libgssapi_krb5.so.2',
  'libgssrpc.so.4',
  'libk5crypto.so.3',
  'libkeyutils.so.1',
  'libkrad.so.0',
  'libkrb5.so.3',
  'libkrb5support.so.0',
  'libm.so.6',
  'libmenu.so.6',
  'libmenuw.so.6',
  'libncurses.so.6',
  'libncursesw.so.6',
  'libnss_dns.so.2',
  'libnss_files.so.2',
  'libp11-kit.so.0',
  'libpanel.so.6',
  'libpanelw.so.6',
  'libpopt.so.0',
  'libpthread.so.0',
  'libresolv.so.2',
  'librt.so.1',
  'libselinux.so.1',
  'libstdc++.so.6',
  'libtasn1.so.6',
  'libthread_db.so.1',
  'libtic.so.6',
  'libtinfo.so.6',
  'libutil.so.1',
  'libverto.so.1',
  'libz.so.1'
]

const GLIBC_LOADERS: Readonly<Record<Architecture, readonly string[]>> = {
  x86_64: ['ld-linux-x86-64.so.2', 'libmvec.so.1'],
  arm64: ['ld-linux-aarch64.so.1']
}

export const LAMBDA_OS: Readonly<Record<LambdaOs, OsFacts>> = {
  'Amazon Linux 2': {
    sonames: [
      ...BOTH,
      'libcidn.so.1',
      'libcrypto.so.10',
      'libffi.so.6',
      'libfreebl3.so',
      'libfreeblpriv3.so',
      'libgmpxx.so.4',
      'libkdb5.so.8',
      'libnsl.so.1',
      'libnspr4.so',
      'libnss_compat.so.2',
      'libnssutil3.so',
      'libpcre.so.1',
      'libpcre16.so.0',
      'libpcre32.so.0',
      'libpcrecpp.so.0',
      'libpcreposix.so.0',
      'libplc4.so',
      'libplds4.so',
      'libsepol.so.1',
      'libssl.so.10'
    ],
    byArchitecture: GLIBC_LOADERS,
    versions: {
      'libstdc++.so.6': { GLIBCXX: '3.4.24', CXXABI: '1.3.11' },
      'libgcc_s.so.1': { GCC: '7.0.0' },
      'libz.so.1': { ZLIB: '1.2.5.2' },
      'libcrypto.so.10': { OPENSSL: '1.0.2' },
      'libssl.so.10': { OPENSSL: '1.0.2' }
    }
  },
  'Amazon Linux 2023': {
    sonames: [
      ...BOTH,
      'libarchive.so.13',
      'libassuan.so.0',
      'libaudit.so.1',
      'libauparse.so.0',
      'libblkid.so.1',
      'libbz2.so.1',
      'libcap-ng.so.0',
      'libcrypto.so.3',
      'libcurl.so.4',
      'libdnf.so.2',
      'libffi.so.8',
      'libgcrypt.so.20',
      'libgio-2.0.so.0',
      'libgirepository-1.0.so.1',
      'libglib-2.0.so.0',
      'libgmodule-2.0.so.0',
      'libgobject-2.0.so.0',
      'libgpg-error.so.0',
      'libgpgme.so.11',
      'libgthread-2.0.so.0',
      'libhistory.so.8',
      'libidn2.so.0',
      'libjson-c.so.5',
      'liblz4.so.1',
      'liblzma.so.5',
      'libmagic.so.1',
      'libmodulemd.so.2',
      'libmount.so.1',
      'libmpfr.so.6',
      'libnghttp2.so.14',
      'libnpth.so.0',
      'libpcre2-8.so.0',
      'libpeas-1.0.so.0',
      'libpsl.so.5',
      'libreadline.so.8',
      'librepo.so.0',
      'librpm.so.9',
      'librpmio.so.9',
      'libsepol.so.2',
      'libsigsegv.so.2',
      'libsmartcols.so.1',
      'libsolv.so.1',
      'libsolvext.so.1',
      'libsqlite3.so.0',
      'libssl.so.3',
      'libunistring.so.2',
      'libuuid.so.1',
      'libxml2.so.2',
      'libyaml-0.so.2',
      'libzstd.so.1'
    ],
    byArchitecture: GLIBC_LOADERS,
    versions: {
      'libstdc++.so.6': { GLIBCXX: '3.4.29', CXXABI: '1.3.13' },
      'libgcc_s.so.1': { GCC: '7.0.0' },
      'libz.so.1': { ZLIB: '1.2.9' },
      'libcrypto.so.3': { OPENSSL: '3.0.0' },
      'libssl.so.3': { OPENSSL: '3.0.0' },
      'liblzma.so.5': { XZ: '5.2' }
    }
  }
}

/** libgcc_s on aarch64 defines GCC_11.0 in GCC 11 (AL2023). */
const ARCH_VERSIONS: Partial<
  Record<LambdaOs, Partial<Record<Architecture, Record<string, SymbolVersions>>>>
> = {
  'Amazon Linux 2023': { arm64: { 'libgcc_s.so.1': { GCC: '11.0' } } }
}

/** What `runtime` on `architecture` provides: its OS's libraries and the runtime's libpython. */
export interface TargetLibraries {
  os: LambdaOs
  has(soname: string): boolean
  /** The highest versions a provided library defines; undefined when not known (then any is accepted). */
  versions(soname: string): SymbolVersions | undefined
}

const targets = new Map<string, TargetLibraries>()

export function targetLibraries(runtime: Runtime, architecture: Architecture): TargetLibraries {
  const key = `${runtime}/${architecture}`
  let target = targets.get(key)
  if (!target) {
    target = describeTarget(runtime, architecture)
    targets.set(key, target)
  }
  return target
}

function describeTarget(runtime: Runtime, architecture: Architecture): TargetLibraries {
  const os = RUNTIMES[runtime].os
  const facts = LAMBDA_OS[os]
  const names = new Set([
    ...facts.sonames,
    ...facts.byArchitecture[architecture],
    `libpython${RUNTIMES[runtime].python}.so.1.0`
  ])
  return {
    os,
    has: soname => names.has(soname),
    versions: soname => ARCH_VERSIONS[os]?.[architecture]?.[soname] ?? facts.versions[soname]
  }
}
