// oidc-provider ships no TypeScript declarations; the test IdP uses it untyped.
declare module 'oidc-provider' {
  const Provider: any;
  export default Provider;
}
