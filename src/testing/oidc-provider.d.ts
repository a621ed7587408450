// oidc-provider (a devDependency, used only to run an identity provider inside tests) ships no types.
declare module 'oidc-provider' {
  const Provider: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  export default Provider;
}
