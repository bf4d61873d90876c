// Keeps the creations projection in line with the CreationDOs (see reconcile.ts).

import { actorByName } from "../actors/refusal.ts";
import {
  type CreationProjection,
  deleteCreationProjection,
  projectedCreationsAfter,
  replaceCreationProjection,
} from "../projections/creations.ts";
import { type ProjectionSource, reconcile } from "./reconcile.ts";

export const RECONCILE_CREATIONS_JOB = "reconcile-creations";

const creations: ProjectionSource<CreationProjection> = {
  job: RECONCILE_CREATIONS_JOB,
  keysAfter: projectedCreationsAfter,
  truth: (env, id) => actorByName(env.CREATION, id).projection(),
  replace: replaceCreationProjection,
  remove: deleteCreationProjection,
};

export const reconcileCreations = (env: Env, batchSize?: number) =>
  reconcile(env, creations, batchSize);
