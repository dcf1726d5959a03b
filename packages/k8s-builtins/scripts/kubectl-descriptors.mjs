// Reads the protobuf definitions of the Kubernetes API (k8s.io/api/*/generated.proto,
// k8s.io/apimachinery/*/generated.proto) out of a kubectl binary.
//
// kubectl's Go code registers every generated.proto it links as a gzipped FileDescriptorProto
// (the compiled form of the published .proto file, with the gogoproto options it was generated
// with), so the kubectl on this machine carries the exact field numbers its typed clients use to
// encode request bodies. Used by gen-proto.mjs and by the apiserver's protobuf round-trip tests.
import { readFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gunzipSync, constants } from 'node:zlib';
import { fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';

/** The kubectl binary to read: $KUBECTL, else the one on PATH. */
export function kubectlPath() {
  const p = process.env.KUBECTL || execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();
  if (!p) throw new Error('kubectl not found on PATH (set KUBECTL=/path/to/kubectl)');
  return realpathSync(p);
}

/** kubectl's client version, e.g. "v1.32.4". */
export function kubectlVersion(bin) {
  const out = JSON.parse(execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }));
  return out.clientVersion.gitVersion.replace(/-.*$/, '');
}

/**
 * Every FileDescriptorProto of a Kubernetes generated.proto embedded in the binary, by file name
 * ("k8s.io/api/core/v1/generated.proto"). Throws when the binary carries none.
 */
export function readKubectlDescriptors(bin = kubectlPath()) {
  const buf = readFileSync(bin);
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  const files = new Map();
  for (let i = buf.indexOf(magic); i >= 0; i = buf.indexOf(magic, i + 1)) {
    let raw;
    try {
      raw = gunzipSync(buf.subarray(i, i + (1 << 20)), { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    let fd;
    try {
      fd = fromBinary(FileDescriptorProtoSchema, raw);
    } catch {
      continue;
    }
    if (/^k8s\.io\/.*\/generated\.proto$/.test(fd.name) && fd.messageType.length) files.set(fd.name, fd);
  }
  if (!files.size)
    throw new Error(`${bin} embeds no Kubernetes protobuf descriptors (newer kubectl builds may not): set KUBECTL to a kubectl that does, e.g. 1.32`);
  return files;
}

/**
 * The descriptors in dependency order (imports first), with imports of files kubectl does not
 * carry (gogo.proto: options only) dropped, as a registry such as @bufbuild/protobuf's
 * createFileRegistry needs them.
 */
export function orderedDescriptors(files) {
  const out = [];
  const seen = new Set();
  const visit = (fd) => {
    if (seen.has(fd.name)) return;
    seen.add(fd.name);
    fd.dependency = fd.dependency.filter((d) => files.has(d));
    for (const d of fd.dependency) visit(files.get(d));
    out.push(fd);
  };
  for (const fd of files.values()) visit(fd);
  return out;
}
