// Keeps the subdomains projection (registry.json, admin search) in line with the SubdomainDOs.

import { actorByName } from "../actors/refusal.ts";
import {
  deleteSubdomainProjection,
  projectedSubdomainsAfter,
  replaceSubdomainProjection,
  type SubdomainProjection,
} from "../projections/subdomains.ts";
import { type ProjectionSource, reconcile } from "./reconcile.ts";

export const RECONCILE_SUBDOMAINS_JOB = "reconcile-subdomains";

const subdomains: ProjectionSource<SubdomainProjection> = {
  job: RECONCILE_SUBDOMAINS_JOB,
  keysAfter: projectedSubdomainsAfter,
  truth: (env, name) => actorByName(env.SUBDOMAIN, name).projection(),
  replace: replaceSubdomainProjection,
  remove: deleteSubdomainProjection,
};

export const reconcileSubdomains = (env: Env, batchSize?: number) =>
  reconcile(env, subdomains, batchSize);
