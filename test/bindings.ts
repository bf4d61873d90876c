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
  // Two Ed25519 seeds, newest first: r2 signs receipts, both are published and verify.
  RECEIPT_SIGNING_KEY:
    "r2:9gM6bV0n3cQmZ2hR4yK8tL1pX5wE7uA0sD3fG6hJ9kM,r1:Qx4nP8rT2vY6bN0mK3jH7gF1dS5aZ9cV4xB8nM2lK6E",
  CORS_ORIGINS: "https://app.example.com,https://studio.example.com",
  ALLOW_LOCALHOST_WEBHOOKS: "true",
  // `npm start` turns dev sign-in on in .dev.vars, which the test pool also reads: the suite
  // runs with the deployed default whatever a developer's .dev.vars says.
  DEV_SIGN_IN: "false",
} as const;
