import { it } from "vitest";
import { api, bearer, createCreation, jsonInit, serviceHeaders } from "../helpers.ts";

const doc = (await (await api("/openapi.json")).json()) as any;
console.log("TLA ok", Object.keys(doc.paths).length);
it("views", async () => {
  const owner = await bearer({ sub: "o1", email: "o1@x.test" });
  const c = await createCreation("o1");
  const show = async (label: string, p: string, h: Record<string, string>) =>
    console.log(
      label,
      (await api(p, { headers: h })).status,
      await (await api(p, { headers: h })).text(),
    );
  console.log(
    "claim",
    (await api("/v1/subdomains/fz-site/claim", { method: "POST", headers: owner })).status,
  );
  await api(
    `/v1/creations/${c.id}/schedules/s1`,
    jsonInit(
      "PUT",
      { cron: "0 9 * * *", target: { type: "webhook", url: "https://example.com/h" } },
      owner,
    ),
  );
  await api(
    `/v1/me/authorizations/budget`,
    jsonInit("POST", { creation_id: c.id, limit: 100, period: "day" }, owner),
  );
  await show("CREATION", `/v1/creations/${c.id}`, owner);
  await show("CWALLET", `/v1/creations/${c.id}/wallet`, owner);
  await show("UWALLET", `/v1/users/o1/wallet`, await serviceHeaders("GET", "/v1/users/o1/wallet"));
  await show("SUB", `/v1/subdomains/fz-site`, {});
  await show("SCHED", `/v1/creations/${c.id}/schedules`, owner);
  await show("AUTHZ", `/v1/me/authorizations`, owner);
  await show("ROOM", `/v1/rooms/${c.id}/lobby`, owner);
  await show("MESUB", `/v1/me/subdomains`, owner);
});
