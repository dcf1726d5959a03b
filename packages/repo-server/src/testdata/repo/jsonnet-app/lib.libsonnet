{
  configMap(name, env):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: name + '-config' },
    data: { env: env, app: std.extVar('app') },
  },
}
