{
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'escape' },
  data: { hostname: importstr '../../../../../../../../etc/hostname' },
}
