// A Jsonnet app using an external variable, top-level arguments, a local import and a library.
local lib = import 'lib.libsonnet';
local shared = import 'shared.libsonnet';

function(name='jsonnet-app', replicas=1)
  [
    lib.configMap(name, std.extVar('env')),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: name, labels: shared.labels(name) },
      spec: {
        replicas: replicas,
        selector: { matchLabels: shared.labels(name) },
        template: {
          metadata: { labels: shared.labels(name) },
          spec: { containers: [{ name: name, image: shared.image }] },
        },
      },
    },
  ]
