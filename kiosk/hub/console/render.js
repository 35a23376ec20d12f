// Lane tiles and the open-interventions queue, built with createElement + textContent only
// (the page's CSP forbids inline style, and lane data is never parsed as HTML).
import {
  STATES, evidenceText, faultText, itemsText, money, reasonText, stateOf, stateText, uploadText,
} from "./format.js";
import { t } from "./i18n.js";

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The key of a button: lane, action and target, so focus survives a re-render. */
export function actionKey(laneId, action, target = "") {
  return `${laneId}|${action}|${target}`;
}

function button(ctx, lane, spec) {
  const key = actionKey(lane.lane_id, spec.action, spec.target ?? "");
  const b = el("button", `btn ${spec.cls ?? ""}`.trim(), spec.label);
  b.type = "button";
  b.dataset.key = key;
  b.dataset.action = spec.action;
  if (ctx.busy.has(key)) {
    b.textContent = `${spec.label} – ${t("busy")}`;
    b.setAttribute("aria-disabled", "true");
    b.setAttribute("aria-busy", "true");
    b.classList.add("is-busy");
  }
  b.addEventListener("click", () => ctx.onAction(lane, spec, key));
  return b;
}

function canClear(ctx, iv) {
  return ctx.role === "supervisor" || iv.needs_role !== "supervisor";
}

/** May this attendant do `action` at `lane`? The lane publishes its roles; the hub and the
 * lane check again, so a missing list shows the button and lets them answer. */
export function mayDo(ctx, lane, action) {
  const roles = lane.action_roles?.[action];
  return !Array.isArray(roles) || roles.includes(ctx.role);
}

function interventionCard(ctx, lane, iv) {
  const card = el("article", "iv-card");
  card.dataset.iv = iv.intervention_id;
  if (ctx.fresh.has(iv.intervention_id)) card.classList.add("is-new");
  const head = el("div", "iv-head");
  head.append(el("span", "iv-icon", "!"), el("h4", "iv-reason", reasonText(iv)));
  head.firstChild.setAttribute("aria-hidden", "true");
  card.append(head);
  const evidence = evidenceText(lane, iv);
  if (evidence) card.append(el("p", "iv-evidence", evidence));
  const age = el("p", "iv-age", t("since", { age: ctx.ageOf(iv.opened_at) }));
  age.dataset.since = iv.opened_at;
  card.append(age);
  if (lane.online && canClear(ctx, iv)) {
    const row = el("div", "iv-actions");
    const approveLabel = iv.reason === "age_check" ? t("confirm_age") : t("approve");
    row.append(
      button(ctx, lane, { action: "approve", target: iv.intervention_id, label: approveLabel,
        cls: "btn-go", intervention_id: iv.intervention_id }),
      button(ctx, lane, { action: "reject", target: iv.intervention_id, label: t("reject"),
        cls: "btn-danger", intervention_id: iv.intervention_id,
        confirm: { text: t("ask_reject", { lane: lane.lane_name ?? lane.lane_id,
          reason: reasonText(iv) }), yes: t("yes_reject") } }),
    );
    card.append(row);
  } else if (lane.online) {
    card.append(el("p", "iv-who", t("needs_supervisor")));
  }
  return card;
}

function basketBlock(ctx, lane) {
  const block = el("div", "basket");
  const basket = lane.basket ?? {};
  block.append(el("p", "basket-sum", itemsText(basket)));
  const lines = basket.lines ?? [];
  if (basket.basket_id && lines.length > 0) {
    const list = el("ul", "basket-lines");
    const canVoid = lane.online && mayDo(ctx, lane, "void_line");
    for (const line of lines) {
      const li = el("li", "basket-line");
      const qty = line.quantity > 1 ? `${line.quantity} × ` : "";
      const grams = line.weight_g ? ` (${line.weight_g} g)` : "";
      li.append(el("span", "line-name", `${qty}${line.name}${grams}`),
        el("span", "line-amount", money(line.amount_cents)));
      if (canVoid) {
        li.append(button(ctx, lane, { action: "void_line", target: String(line.line_id),
          label: t("void_line"), cls: "btn-small", line_id: line.line_id,
          basket_id: basket.basket_id,
          confirm: { text: t("ask_void", { lane: lane.lane_name ?? lane.lane_id,
            name: line.name }), yes: t("yes_void") } }));
      }
      list.append(li);
    }
    block.append(list);
  }
  return block;
}

function laneActions(ctx, lane) {
  const row = el("div", "lane-actions");
  if (!lane.online) return row;
  const basketId = lane.basket?.basket_id;
  if (basketId && mayDo(ctx, lane, "cancel_basket")) {
    row.append(button(ctx, lane, { action: "cancel_basket", target: basketId,
      label: t("cancel_basket"), cls: "btn-danger", basket_id: basketId,
      confirm: { text: t("ask_cancel", { lane: lane.lane_name ?? lane.lane_id,
        total: money(lane.basket.total_cents) }), yes: t("yes_cancel") } }));
  }
  const closed = lane.flow === "closed" || lane.flow === "out_of_service";
  const action = closed ? "open_lane" : "close_lane";
  if (mayDo(ctx, lane, action)) {
    row.append(button(ctx, lane, { action, label: t(action), cls: "btn-quiet" }));
  }
  return row;
}

/** One lane's tile: state band (colour + icon + words), basket, notes, cards, actions. */
export function laneTile(ctx, lane) {
  const key = stateOf(lane);
  const tile = el("section", `tile ${STATES[key].cls}`);
  tile.id = `lane-${lane.lane_id}`;
  tile.dataset.lane = lane.lane_id;
  tile.dataset.state = key;
  if (ctx.flashing.has(lane.lane_id)) tile.classList.add("flash");
  const name = lane.lane_name || lane.lane_id;
  tile.setAttribute("aria-label", `${name}: ${stateText(lane)}`);
  const band = el("div", "tile-band");
  const icon = el("span", "tile-icon", STATES[key].icon);
  icon.setAttribute("aria-hidden", "true");
  band.append(icon, el("h3", "tile-name", name), el("p", "tile-state", stateText(lane)));
  tile.append(band);
  const body = el("div", "tile-body");
  body.append(basketBlock(ctx, lane));
  const notes = [faultText(lane), ...uploadText(lane, ctx.ageOf)].filter(Boolean);
  if (lane.attendant_at_lane) notes.push(t("at_lane", { name: lane.attendant_at_lane }));
  for (const note of notes) body.append(el("p", "tile-note", note));
  for (const iv of lane.interventions ?? []) body.append(interventionCard(ctx, lane, iv));
  const result = ctx.results.get(lane.lane_id);
  if (result) {
    const p = el("p", `tile-result ${result.ok ? "is-ok" : "is-bad"}`, result.text);
    p.setAttribute("role", "status");
    body.append(p);
  }
  body.append(laneActions(ctx, lane));
  tile.append(body);
  return tile;
}

/** Every open intervention of every lane, oldest first. */
export function openInterventions(lanes) {
  const all = [];
  for (const lane of lanes) {
    for (const iv of lane.interventions ?? []) all.push({ lane, iv });
  }
  all.sort((a, b) => String(a.iv.opened_at).localeCompare(String(b.iv.opened_at)));
  return all;
}

export function queueItem(ctx, { lane, iv }) {
  const li = el("li", "queue-item");
  const b = el("button", "queue-link");
  b.type = "button";
  b.dataset.key = `queue|${iv.intervention_id}`;
  const name = lane.lane_name || lane.lane_id;
  b.append(el("span", "queue-lane", name), el("span", "queue-reason", reasonText(iv)));
  const age = el("span", "queue-age", t("since", { age: ctx.ageOf(iv.opened_at) }));
  age.dataset.since = iv.opened_at;
  b.append(age);
  b.addEventListener("click", () => ctx.onShow(lane.lane_id, iv.intervention_id));
  li.append(b);
  return li;
}
