// One creation's usage in one month: reads the summary and the tiers, then shows the figures,
// the chart of calls per day, calls per tier, the top users and the tiers.

import { useEffect, useMemo, useState } from "react";
import { USAGE_TOP_USERS_PAGE_DEFAULT } from "../../src/shared/limits.ts";
import type { TierList, UsageSummary } from "../../src/shared/schemas/usage.ts";
import { problemText, tierList, type UsageQuery, usageSummary } from "./api.ts";
import { DailyChart } from "./chart.tsx";
import { formatMonth, plansOf } from "./format.ts";
import type { Selection } from "./selection.ts";
import { DayTable, Figures, TiersTable, TierTotals } from "./tables.tsx";
import { TopUsers } from "./top-users.tsx";

/** Numbers each reading, so a refreshed report starts afresh (its top users on page 1). */
let readings = 0;

type Report =
  | { state: "loading" }
  | { state: "failed"; problem: string }
  | { state: "ready"; summary: UsageSummary; tiers: TierList; read: number };

export function UsageReport({
  selection,
  creationId,
  reloads,
}: {
  selection: Selection;
  creationId: string;
  /** Bumped by the Refresh button. */
  reloads: number;
}) {
  const query: UsageQuery = useMemo(
    () => ({
      creationId,
      period: selection.period,
      mode: selection.mode,
      meter: selection.meter,
      limit: USAGE_TOP_USERS_PAGE_DEFAULT,
    }),
    [creationId, selection.period, selection.mode, selection.meter],
  );
  const [report, setReport] = useState<Report>({ state: "loading" });
  const [reading, setReading] = useState(true);

  // A new selection clears the page; a refresh keeps the figures shown until the new ones come.
  useEffect(() => {
    setReport({ state: "loading" });
  }, [query]);
  useEffect(() => {
    let current = true;
    setReading(true);
    Promise.all([usageSummary(query), tierList(query.creationId)])
      .then(
        ([summary, tiers]) =>
          current && setReport({ state: "ready", summary, tiers, read: ++readings }),
        (error) => current && setReport({ state: "failed", problem: problemText(error) }),
      )
      .finally(() => current && setReading(false));
    return () => {
      current = false;
    };
  }, [query, reloads]);

  const status = (
    <p className="muted reading" role="status" data-reading={reading}>
      {reading ? "Reading usage…" : ""}
    </p>
  );
  if (report.state === "loading") return status;
  if (report.state === "failed") {
    return (
      <>
        {status}
        <p className="problem card" role="alert" id="usage-problem">
          {report.problem}
        </p>
      </>
    );
  }
  return (
    <>
      {status}
      <Ready key={report.read} summary={report.summary} tiers={report.tiers} query={query} />
    </>
  );
}

function Ready({
  summary,
  tiers,
  query,
}: {
  summary: UsageSummary;
  tiers: TierList;
  query: UsageQuery;
}) {
  const plans = useMemo(() => plansOf(summary), [summary]);
  const month = formatMonth(summary.period);
  return (
    <div id="report" data-period={summary.period} data-mode={summary.mode}>
      <section className="card" aria-labelledby="month-title">
        <h2 id="month-title">
          {month} <span className="muted">· {summary.mode} · UTC</span>
        </h2>
        <Figures summary={summary} />
        {summary.total === 0 ? (
          <NoUsage summary={summary} />
        ) : (
          <figure>
            <DailyChart summary={summary} plans={plans} />
            <figcaption className="muted">
              Calls (<code>{summary.meter}</code>) per day of {month}, stacked by the tier each call
              was made on. Hover a day for its figures.
            </figcaption>
            <DayTable summary={summary} plans={plans} />
          </figure>
        )}
      </section>
      <section className="card" aria-labelledby="tiers-title">
        <h2 id="tiers-title">Tiers</h2>
        <TierTotals summary={summary} plans={plans} />
        <p className="muted note">A user counts under the tier of their latest call this month.</p>
        <TiersTable tiers={tiers} plans={plans} />
        {tiers.defaults && (
          <p className="muted note" id="default-tiers">
            These are the default tiers. Set your own with{" "}
            <code>PUT /v1/creations/{summary.creation_id}/tiers</code>.
          </p>
        )}
      </section>
      <TopUsers
        key={`${summary.period}:${summary.mode}`}
        query={query}
        summary={summary}
        plans={plans}
      />
    </div>
  );
}

function NoUsage({ summary }: { summary: UsageSummary }) {
  return (
    <div className="empty" id="no-usage">
      <p>
        <strong>No calls in {formatMonth(summary.period)}</strong> ({summary.mode} mode). Calls
        appear here as soon as the creation's backend tracks them, with its <code>rct_</code> token
        or a {summary.mode} secret key:
      </p>
      <pre>
        <code>{`curl -X POST ${location.origin}/v1/creations/${summary.creation_id}/usage/track \\
  -H "authorization: Bearer $CREATION_TOKEN" \\
  -H 'content-type: application/json' -d '{"user_id":"alice"}'`}</code>
      </pre>
    </div>
  );
}
