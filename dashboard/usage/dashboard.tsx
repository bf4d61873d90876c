// The usage dashboard: the signed-in owner's creations to pick from, the month, live or test
// and the meter, and the report for what is picked. The choice is kept in the address.

import { type FormEvent, useEffect, useState } from "react";
import type { UsageMode } from "../../src/shared/schemas/usage.ts";
import { type CreationItem, listCreations, problemText } from "./api.ts";
import { UsageReport } from "./report.tsx";
import {
  isMeter,
  METER_PATTERN,
  periodBounds,
  type Selection,
  selectionFromAddress,
  shiftPeriod,
  writeAddress,
} from "./selection.ts";

type Creations =
  | { state: "loading" }
  | { state: "failed"; problem: string }
  | { state: "ready"; creations: CreationItem[]; more: boolean };

export function Dashboard() {
  const [creations, setCreations] = useState<Creations>({ state: "loading" });
  const [selection, setSelection] = useState<Selection>(selectionFromAddress);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    listCreations().then(
      ({ creations, more }) => {
        setCreations({ state: "ready", creations, more });
        // Without a creation in the address, the newest one.
        setSelection((now) => ({ ...now, creationId: now.creationId ?? creations[0]?.id ?? null }));
      },
      (error) => setCreations({ state: "failed", problem: problemText(error) }),
    );
  }, []);
  useEffect(() => writeAddress(selection), [selection]);

  if (creations.state === "loading") {
    return (
      <p className="muted" role="status">
        Reading your creations…
      </p>
    );
  }
  if (creations.state === "failed") {
    return (
      <p className="problem card" role="alert" id="creations-problem">
        {creations.problem}
      </p>
    );
  }
  if (creations.creations.length === 0 && !selection.creationId) return <NoCreations />;
  const change = (part: Partial<Selection>) => setSelection((now) => ({ ...now, ...part }));
  return (
    <>
      <Controls
        creations={creations.creations}
        more={creations.more}
        selection={selection}
        onChange={change}
        onRefresh={() => setReloads((n) => n + 1)}
      />
      {selection.creationId && (
        <UsageReport
          key={selection.creationId}
          creationId={selection.creationId}
          selection={selection}
          reloads={reloads}
        />
      )}
    </>
  );
}

function Controls({
  creations,
  more,
  selection,
  onChange,
  onRefresh,
}: {
  creations: CreationItem[];
  more: boolean;
  selection: Selection;
  onChange(part: Partial<Selection>): void;
  onRefresh(): void;
}) {
  const { oldest, newest } = periodBounds();
  const listed = creations.some((creation) => creation.id === selection.creationId);
  const [meter, setMeter] = useState(selection.meter);
  const commitMeter = (event?: FormEvent) => {
    event?.preventDefault();
    if (isMeter(meter)) onChange({ meter });
  };
  return (
    <form className="card controls" id="controls" onSubmit={commitMeter}>
      <label className="creation">
        Creation
        <select
          id="creation"
          value={selection.creationId ?? ""}
          onChange={(event) => onChange({ creationId: event.target.value })}
        >
          {!listed && selection.creationId && (
            <option value={selection.creationId}>{selection.creationId} (not one of yours)</option>
          )}
          {creations.map((creation) => (
            <option key={creation.id} value={creation.id}>
              {creation.name ?? "Untitled"} · {creation.id.slice(0, 8)}
            </option>
          ))}
        </select>
        {more && <small className="muted">Only your newest {creations.length} are listed.</small>}
      </label>
      <div className="month">
        <button
          type="button"
          aria-label="Previous month"
          disabled={selection.period <= oldest}
          onClick={() => onChange({ period: shiftPeriod(selection.period, -1) })}
        >
          ‹
        </button>
        <label>
          Month (UTC)
          <input
            type="month"
            id="period"
            required
            min={oldest}
            max={newest}
            value={selection.period}
            onChange={(event) => event.target.value && onChange({ period: event.target.value })}
          />
        </label>
        <button
          type="button"
          aria-label="Next month"
          disabled={selection.period >= newest}
          onClick={() => onChange({ period: shiftPeriod(selection.period, 1) })}
        >
          ›
        </button>
      </div>
      <fieldset className="mode">
        <legend>Mode</legend>
        <div className="segments">
          {(["live", "test"] as UsageMode[]).map((mode) => (
            <label key={mode}>
              <input
                type="radio"
                name="mode"
                value={mode}
                checked={selection.mode === mode}
                onChange={() => onChange({ mode })}
              />
              {mode === "live" ? "Live" : "Test"}
            </label>
          ))}
        </div>
      </fieldset>
      <label className="meter">
        Meter
        <input
          id="meter"
          value={meter}
          pattern={METER_PATTERN}
          required
          spellCheck={false}
          onChange={(event) => setMeter(event.target.value)}
          onBlur={() => commitMeter()}
        />
      </label>
      <button type="button" id="refresh" onClick={onRefresh}>
        Refresh
      </button>
    </form>
  );
}

function NoCreations() {
  return (
    <section className="card empty" id="no-creations">
      <h2>No creations yet</h2>
      <p>You own no creations, so there is no usage to show. Make one, then reload this page:</p>
      <pre>
        <code>{`curl -X POST ${location.origin}/v1/creations -H "authorization: Bearer $TOKEN" \\
  -H 'content-type: application/json' -d '{"name":"My app"}'`}</code>
      </pre>
      <p className="muted">
        The answer carries the creation's <code>rct_</code> token: its backend tracks each user's
        calls with <code>POST /v1/creations/&lt;id&gt;/usage/track</code>, and they show up here.
      </p>
    </section>
  );
}
