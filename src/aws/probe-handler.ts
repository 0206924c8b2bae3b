/**
 * The handler of the import-test probe (probe.ts): Python the action writes
 * itself, run on Lambda with only the new layer attached. It finds the
 * layer's site folder on sys.path the way Lambda puts it there, lists its
 * top-level modules by the smoke test's rules (checks/smoke-test.ts,
 * discoverModules), imports each and returns what failed.
 */
import {
  STORED,
  type ZipRecord,
  centralHeader,
  dosDateTime,
  endRecords,
  localHeader
} from '../layer/zip-writer.js'
import { crc32, FIXED_TIME } from '../layer/zip.js'

/** The probe's module, and its handler as Lambda names it. */
export const PROBE_MODULE = 'layer_import_probe.py'
export const PROBE_HANDLER = 'layer_import_probe.handler'
/** The environment variable that names the layer version the probe was created with. */
export const PROBE_LAYER_VARIABLE = 'LAYER_IMPORT_PROBE_LAYER'
/** Printed before each import, so the log names the module a crash or a timeout stopped at. */
export const PROBE_START_MARK = 'layer-import-probe: importing '

const SOURCE = `"""Imports every top-level module of the layer; returns the failures."""
import importlib, os, platform, re, sys, traceback

SKIP = {"__pycache__", "bin", "test", "tests", "setup", "conftest", "docs", "examples"}
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _ident(name):
    return IDENT.fullmatch(name) is not None


def _module_of(entry):
    if entry.endswith(".py"):
        return entry[:-3]
    if entry.endswith(".so"):
        return entry.split(".")[0]
    return None


def _is_module(entry):
    return entry.endswith(".py") or entry.endswith(".so")


def _package_names(folder, name):
    entries = sorted(os.listdir(folder))
    if any(_is_module(e) and not os.path.isdir(os.path.join(folder, e)) for e in entries):
        return [name]
    found = []
    for entry in entries:
        inner = os.path.join(folder, entry)
        if not os.path.isdir(inner) or not _ident(entry) or entry in SKIP:
            continue
        if any(f.startswith("__init__.") and _is_module(f) for f in os.listdir(inner)):
            found.append(name + "." + entry)
    return found


def discover(site):
    names, on_disk = set(), set()
    for entry in sorted(os.listdir(site)):
        full = os.path.join(site, entry)
        if os.path.isdir(full):
            if not _ident(entry) or entry in SKIP:
                continue
            on_disk.add(entry)
            names.update(_package_names(full, entry))
        else:
            name = _module_of(entry)
            if name is None or not _ident(name) or name in SKIP:
                continue
            on_disk.add(name)
            names.add(name)
    for entry in sorted(os.listdir(site)):
        if not entry.endswith(".dist-info"):
            continue
        try:
            with open(os.path.join(site, entry, "top_level.txt"), encoding="utf-8") as f:
                declared = f.read().split()
        except OSError:
            continue
        for name in declared:
            name = name.replace("/", ".")
            top = name.split(".")[0]
            if top not in on_disk or top in SKIP:
                continue
            if not any(n == name or n.startswith(name + ".") for n in names):
                names.add(name)
    return sorted(names)


def layer_site():
    """The layer's folder on sys.path: python/lib/python3.X/site-packages, else python."""
    version = "python%d.%d" % sys.version_info[:2]
    ends = ("/python/lib/" + version + "/site-packages", "/python")
    for end in ends:
        for entry in sys.path:
            if entry.rstrip("/").endswith(end) and os.path.isdir(entry):
                return entry
    return None


def handler(event, context):
    site = layer_site()
    result = {
        "probe": 1,
        "layer": os.environ.get("${PROBE_LAYER_VARIABLE}"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "site": site,
        "modules": [],
        "failed": [],
    }
    if site is None:
        return result
    modules = discover(site)
    # After a crash, the next invocation starts after the module that crashed.
    after = event.get("after") if isinstance(event, dict) else None
    if after in modules:
        modules = modules[modules.index(after) + 1:]
    result["modules"] = modules
    for name in modules:
        print("${PROBE_START_MARK}" + name, flush=True)
        try:
            importlib.import_module(name)
        except BaseException as error:
            tb = error.__traceback__
            while tb is not None and tb.tb_frame.f_code.co_filename in (__file__, importlib.__file__):
                tb = tb.tb_next
            text = "".join(traceback.format_exception(type(error), error, tb))
            lines = [l for l in text.rstrip().splitlines() if "<frozen importlib" not in l]
            result["failed"].append({
                "module": name,
                "type": type(error).__name__,
                "message": str(error),
                "traceback": lines[-6:],
            })
    return result
`

/** The probe function's code: one module in a zip, the same bytes every run. */
export function probeZip(): Buffer {
  const data = Buffer.from(SOURCE, 'utf8')
  const record: ZipRecord = {
    name: Buffer.from(PROBE_MODULE, 'utf8'),
    method: STORED,
    crc: crc32(data),
    size: data.length,
    data,
    attr: (0o100644 << 16) >>> 0
  }
  const options = { dosTime: dosDateTime(FIXED_TIME), madeBy: (3 << 8) | 20 }
  const local = Buffer.concat([localHeader(record, options.dosTime), data])
  const central = centralHeader(record, options, 0)
  return Buffer.concat([local, central, endRecords(1, central.length, local.length)])
}
