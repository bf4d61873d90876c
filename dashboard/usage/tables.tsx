// The month in figures and tables: the headline numbers, calls per tier, the tiers themselves,
// and every day's counts (the chart's data, for anyone who cannot see the canvas).

import type { TierList, UsageSummary } from "../../src/shared/schemas/usage.ts";
import {
  formatDay,
  formatMonth,
  formatNumber,
  formatPrice,
  formatShare,
  formatWeekday,
  type Plan,
  planById,
} from "./format.ts";
import { utcMonth } from "./selection.ts";

/** Days of the period that have begun: all of a past month, none of a future one. */
function daysBegun(summary: UsageSummary, now = new Date()): number {
  const current = utcMonth(now);
  if (summary.period < current) return summary.by_day.length;
  if (summary.period > current) return 0;
  return now.getUTCDate();
}

export function Figures({ summary }: { summary: UsageSummary }) {
  const busiest = summary.by_day.reduce<UsageSummary["by_day"][number] | null>(
    (best, day) => (day.count > (best?.count ?? 0) ? day : best),
    null,
  );
  const days = daysBegun(summary);
  return (
    <dl className="figures" aria-label={`${formatMonth(summary.period)} in figures`}>
      <div>
        <dt>Calls</dt>
        <dd data-figure="total">{formatNumber(summary.total)}</dd>
      </div>
      <div>
        <dt>Unique users</dt>
        <dd data-figure="unique-users">{formatNumber(summary.unique_users)}</dd>
      </div>
      <div>
        <dt>Busiest day</dt>
        <dd data-figure="busiest-day">
          {busiest ? (
            <>
              {formatNumber(busiest.count)} <small>on {formatDay(busiest.day)}</small>
            </>
          ) : (
            "—"
          )}
        </dd>
      </div>
      <div>
        <dt>Average a day</dt>
        <dd data-figure="daily-average">
          {days > 0 ? formatNumber(Math.round((summary.total / days) * 10) / 10) : "—"}
        </dd>
      </div>
    </dl>
  );
}

export function Swatch({ plan }: { plan: Plan }) {
  // Set through the CSSOM (React's style prop), which the pages' CSP allows; a style="…"
  // attribute in markup it would refuse.
  return <span className="swatch" aria-hidden="true" style={{ backgroundColor: plan.colour }} />;
}

/** A word beside a name, after a space so that it is read as a word of its own. */
function Badge({ children, popular = false }: { children: string; popular?: boolean }) {
  return (
    <>
      {" "}
      <span className={popular ? "badge popular" : "badge"}>{children}</span>
    </>
  );
}

const limitText = (limit: number | null) =>
  limit === null ? "Unlimited" : `${formatNumber(limit)} a user`;

export function TierTotals({ summary, plans }: { summary: UsageSummary; plans: Plan[] }) {
  return (
    <table className="tier-totals">
      <caption>Calls per tier</caption>
      <thead>
        <tr>
          <th scope="col">Tier</th>
          <th scope="col" className="number">
            Calls
          </th>
          <th scope="col" className="number">
            Share
          </th>
          <th scope="col" className="number">
            Users
          </th>
          <th scope="col">Monthly limit</th>
        </tr>
      </thead>
      <tbody>
        {plans.map((plan) => {
          const row = summary.by_tier.find((tier) => tier.plan === plan.id);
          const count = row?.count ?? 0;
          return (
            <tr key={plan.id} data-plan={plan.id}>
              <th scope="row">
                <Swatch plan={plan} />
                {plan.name} <code>{plan.id}</code>
                {!plan.tier && <Badge>no longer a tier</Badge>}
              </th>
              <td className="number" data-cell="calls">
                {formatNumber(count)}
              </td>
              <td className="number" data-cell="share">
                {formatShare(count, summary.total)}
              </td>
              <td className="number" data-cell="users">
                {formatNumber(row?.users ?? 0)}
              </td>
              <td data-cell="limit">{plan.tier ? limitText(plan.tier.limit) : "—"}</td>
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">All tiers</th>
          <td className="number">{formatNumber(summary.total)}</td>
          <td className="number">{summary.total > 0 ? formatShare(1, 1) : "—"}</td>
          <td className="number">{formatNumber(summary.unique_users)}</td>
          <td />
        </tr>
      </tfoot>
    </table>
  );
}

export function TiersTable({ tiers, plans }: { tiers: TierList; plans: Plan[] }) {
  return (
    <table className="tiers">
      <caption>Tier settings</caption>
      <thead>
        <tr>
          <th scope="col">Tier</th>
          <th scope="col">Price</th>
          <th scope="col">Monthly limit</th>
          <th scope="col">Rate limit</th>
          <th scope="col">Features</th>
        </tr>
      </thead>
      <tbody>
        {tiers.tiers.map((tier) => (
          <tr key={tier.id} data-tier={tier.id}>
            <th scope="row">
              <Swatch plan={planById(plans, tier.id)} />
              {tier.name} <code>{tier.id}</code>
              {tier.id === tiers.default_plan && <Badge>default</Badge>}
              {tier.popular && <Badge popular>popular</Badge>}
            </th>
            <td data-cell="price">{formatPrice(tier.price)}</td>
            <td data-cell="limit">
              {tier.limit === null ? "Unlimited" : `${formatNumber(tier.limit)} calls a user`}
            </td>
            <td data-cell="rate-limit">
              {tier.rate_limit_per_minute === null
                ? "Deployment default"
                : `${formatNumber(tier.rate_limit_per_minute)} a minute`}
            </td>
            <td data-cell="features">
              {tier.features.length > 0 ? (
                tier.features.join(" · ")
              ) : (
                <span className="muted">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DayTable({ summary, plans }: { summary: UsageSummary; plans: Plan[] }) {
  return (
    <details className="days">
      <summary>Calls per day as a table</summary>
      <table>
        <caption>Calls per day in {formatMonth(summary.period)} (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col" className="number">
              All tiers
            </th>
            {plans.map((plan) => (
              <th scope="col" className="number" key={plan.id}>
                {plan.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {summary.by_day.map((day) => (
            <tr key={day.day} data-day={day.day}>
              <th scope="row">{formatWeekday(day.day)}</th>
              <td className="number">{formatNumber(day.count)}</td>
              {plans.map((plan) => (
                <td className="number" key={plan.id}>
                  {formatNumber(day.tiers.find((row) => row.plan === plan.id)?.count ?? 0)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
