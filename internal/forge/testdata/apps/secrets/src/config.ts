export const config = {
  signingKey: 'sk_3f9a1c7e5b2d4f60', // FINDING forge/hardcoded-key
  issuer: 'my-app',
};
export const ENV_KEY_NAME = 'SIGNING_KEY';
