// Secrets the test Worker runs with: fixed, so tests can sign and mint tokens themselves,
// and independent of any developer's .dev.vars.
export const TEST_BINDINGS = {
  AUTH_JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789",
  SERVICE_SECRETS: "test-service-secret-current,test-service-secret-previous",
  TOKEN_SECRET: "test-token-secret-0123456789abcdef",
  STRIPE_WEBHOOK_SECRET: "whsec_test_0123456789abcdef",
  // Two keys, newest first, so rotation can be tested: k2 seals, both open. k2 is written in
  // base64url and k1 in padded base64; the keyring accepts either.
  SECRETS_ENCRYPTION_KEY:
    "k2:LlLy-EjzdNFzyX7mq7pvylkZ-iLZw9rS099YWqlVk9Y,k1:w/1ssnbloFN/MaviTnLdvYdesvJD4N9tkO5RssrRZto=",
  CORS_ORIGINS: "https://app.example.com,https://studio.example.com",
  ALLOW_LOCALHOST_WEBHOOKS: "true",
  // `npm start` turns dev sign-in on in .dev.vars, which the test pool also reads: the suite
  // runs with the deployed default whatever a developer's .dev.vars says.
  DEV_SIGN_IN: "false",
} as const;
