import type { RouteDefinition } from "../route.ts";
import { adminSubdomainRoutes } from "./admin-subdomains.ts";
import { adminUserRoutes } from "./admin-users.ts";
import { apiKeyRoutes } from "./api-keys.ts";
import { authRoutes } from "./auth.ts";
import { billingRoutes } from "./billing.ts";
import { chatRoutes } from "./chat.ts";
import { contentCredentialRoutes } from "./content-credentials.ts";
import { creationWalletRoutes } from "./creation-wallet.ts";
import { creationRoutes } from "./creations.ts";
import { devAuthRoutes } from "./dev-auth.ts";
import { developerRoutes } from "./developer.ts";
import { entitlementRoutes } from "./entitlements.ts";
import { healthRoutes } from "./health.ts";
import { llmToolRoutes } from "./llm-tools.ts";
import { meRoutes } from "./me.ts";
import { productRoutes } from "./products.ts";
import { purchaseRoutes } from "./purchases.ts";
import { receiptRoutes } from "./receipts.ts";
import { registryRoutes } from "./registry.ts";
import { roomRoutes } from "./rooms.ts";
import { salesRoutes } from "./sales.ts";
import { scheduleRoutes } from "./schedules.ts";
import { secretRoutes } from "./secrets.ts";
import { subdomainRoutes } from "./subdomains.ts";
import { usageRoutes } from "./usage.ts";
import { userWalletRoutes } from "./user-wallet.ts";
import { webhookRoutes } from "./webhooks.ts";

/** Every route of the public API, in the order the docs list them. */
export const apiRoutes: readonly RouteDefinition[] = [
  ...healthRoutes,
  ...meRoutes,
  ...authRoutes,
  ...contentCredentialRoutes,
  ...creationRoutes,
  ...scheduleRoutes,
  ...apiKeyRoutes,
  ...usageRoutes,
  ...developerRoutes,
  ...productRoutes,
  ...entitlementRoutes,
  ...receiptRoutes,
  ...salesRoutes,
  ...purchaseRoutes,
  ...secretRoutes,
  ...creationWalletRoutes,
  ...userWalletRoutes,
  ...billingRoutes,
  ...roomRoutes,
  ...chatRoutes,
  ...llmToolRoutes,
  ...subdomainRoutes,
  ...adminSubdomainRoutes,
  ...adminUserRoutes,
  ...webhookRoutes,
  ...registryRoutes,
  ...devAuthRoutes,
];
