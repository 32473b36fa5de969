import jwt from 'jsonwebtoken';
import CryptoJS from 'crypto-js';
import { fetch } from '@forge/api';
import { config, ENV_KEY_NAME } from './config';
import { syncUsers } from './creds';

export async function run() {
  const a = jwt.sign({ iss: config.issuer }, config.signingKey);
  const b = jwt.sign({ iss: config.issuer }, process.env[ENV_KEY_NAME]);
  const c = CryptoJS.HmacSHA256('message', 'another-literal-key-123'); // FINDING forge/hardcoded-key
  await fetch('https://api.example.com/v1/things', {
    headers: { Authorization: 'Basic dXNlcjpwYXNzd29yZDEyMw==' }, // FINDING forge/hardcoded-authorization
  });
  await fetch('https://api.example.com/v1/things', {
    headers: { Authorization: `Bearer ${process.env.EXAMPLE_TOKEN}` },
  });
  console.log('token in use', process.env.EXAMPLE_TOKEN); // FINDING forge/secret-logged
  await syncUsers(process.env.SITE);
  console.log('job done', a.length, b.length, c.toString().length);
}
