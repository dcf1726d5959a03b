{
  image: 'registry.local/app:2.0',
  labels(name):: { 'app.kubernetes.io/name': name },
}
