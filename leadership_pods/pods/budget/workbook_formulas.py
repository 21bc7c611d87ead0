"""The ``Service line`` sheet's formulas: every computed cell of :mod:`.model`, live.

Each formula is the one in :mod:`.model`'s docstring, written with ``ROUND``, ``SUM``,
``MIN``/``MAX`` and ``IF`` over the Inputs value cells (``v(lever)``) and scenario constants,
with the same rounding points (:mod:`.money`), so a spreadsheet shows the model's numbers to
the cent. Pure: :func:`service_line_cells` returns ``address -> Cell``; :mod:`.workbook_write`
puts them in a worksheet. Where each row is: :mod:`.workbook_layout`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from .money import cents
from .plan import canonical
from .scenario import Scenario
from .service_line import VolumeEffect
from .workbook_layout import ID_COLUMN, TOTALS, Cell, cell_map, cost_line_ids, row_numbers, sections


def lit(value: Decimal | int) -> str:
    """A constant as formula text: ``5960``, ``0.15``, ``-1.5``."""
    return f"{canonical(Decimal(value)):f}"


def signed(terms: Iterable[tuple[Decimal | int, str]]) -> str:
    """``+c1*x1-c2*x2...`` from (coefficient, expression) pairs, skipping zero coefficients
    and writing a coefficient of 1 as nothing; empty when every coefficient is zero."""
    text = ""
    for coefficient, expr in terms:
        if coefficient == 0:
            continue
        size = abs(Decimal(coefficient))
        text += ("-" if coefficient < 0 else "+") + (expr if size == 1 else f"{lit(size)}*{expr}")
    return text


def _units(effects: tuple[VolumeEffect, ...], line_id: str) -> int:
    return sum(e.units for e in effects if e.line_id == line_id)


def service_line_cells(scenario: Scenario, value_ref: Mapping[str, str]) -> dict[str, Cell]:
    """Every cell of the Service line sheet: titles, headers, labels, constants, formulas.

    ``value_ref`` maps each lever id to its Inputs value cell (``"Inputs!$D$6"``).
    """
    rows = row_numbers(scenario)
    sheet: dict[str, Cell] = {}
    for section in sections(scenario):
        row = rows[f"title:{section.kind}"]
        sheet[f"A{row}"] = Cell(section.title, "title")
        for index, header in enumerate(section.headers):
            sheet[f"{chr(ord('A') + index)}{row + 1}"] = Cell(header, "header")
        sheet[f"{ID_COLUMN}{row + 1}"] = Cell("Id", "header")
    formulas = _Formulas(scenario, rows, value_ref, sheet)
    for step in (formulas.staffing, formulas.pools, formulas.volume, formulas.revenue,
                 formulas.costs, formulas.totals, formulas.quality):   # dependency order
        step()
    return sheet


class _Formulas:
    """Writes each section's rows into ``sheet``; ``at("amount:cost.app")`` is a cell."""

    def __init__(self, scenario: Scenario, rows: dict[str, int], value_ref: Mapping[str, str],
                 sheet: dict[str, Cell]) -> None:
        self.s = scenario
        self.rows = rows
        self.refs = value_ref
        self.sheet = sheet
        self.cells = cell_map(scenario)

    def at(self, name: str) -> str:
        return self.cells[name]

    def v(self, lever_id: str) -> str:
        return self.refs[lever_id]

    def put(self, name: str, value: str | Decimal | int, style: str) -> None:
        self.sheet[self.cells[name]] = Cell(value, style)

    def label(self, kind: str, key: str, label: str) -> None:
        row = self.rows[f"{kind}:{key}"]
        self.sheet[f"A{row}"] = Cell(label, "label")
        self.sheet[f"{ID_COLUMN}{row}"] = Cell(key, "id")

    def staffing(self) -> None:
        """positions = fte + v(fte.l) [+ 1.1*c] [- c]; paid: the conversion at 70%."""
        conv = self.s.conversion
        c = self.v(conv.lever_id)
        share = f"*{lit(conv.year_one_pct)}/100"
        for line in self.s.staffing_lines:
            key = line.id
            self.label("staff", key, line.label)
            self.put(f"today_fte:{key}", line.fte, "fte")
            self.put(f"change:{key}", f"={self.v(line.lever_id)}", "fte")
            base = f"={self.at(f'today_fte:{key}')}+{self.at(f'change:{key}')}"
            per = (conv.employed_per_agency if key == conv.to_line
                   else Decimal(-1) if key == conv.from_line else Decimal(0))
            self.put(f"positions:{key}", base + signed([(per, c)]), "fte")
            self.put(f"paid:{key}", base + signed([(per, c + share)]), "fte")

    def pools(self) -> None:
        """fte_p = SUM(positions); deficit = MAX(0, base - fte); surplus = MAX(0, fte - base)."""
        for pool in self.s.pools:
            key = pool.id
            members = [s.id for s in self.s.staffing_lines if s.pool == key]
            self.label("pool", key, pool.label)
            today = ",".join(self.at(f"today_fte:{m}") for m in members)
            plan = ",".join(self.at(f"positions:{m}") for m in members)
            self.put(f"baseline_fte:{key}", f"=SUM({today})", "fte")
            self.put(f"pool_fte:{key}", f"=SUM({plan})", "fte")
            self.put(f"minimum_fte:{key}", pool.minimum_fte, "fte")
            base, fte = self.at(f"baseline_fte:{key}"), self.at(f"pool_fte:{key}")
            self.put(f"deficit:{key}", f"=MAX(0,{base}-{fte})", "fte")
            self.put(f"surplus:{key}", f"=MAX(0,{fte}-{base})", "fte")
            self.put(f"safe:{key}", f'=IF({fte}<{self.at(f"minimum_fte:{key}")},'
                     f'"REFUSED: below the minimum safe staffing","safe")', "text")

    def volume(self) -> None:
        """demand, capacity and planned volume = MAX(0, MIN(capacity, demand))."""
        for line in self.s.revenue_lines:
            key = line.id
            self.label("volume", key, line.label)
            self.put(f"baseline_volume:{key}", line.volume, "count")
            today = self.at(f"baseline_volume:{key}")
            parts = [f"={today}+ROUND({today}*{self.v(f'volume.{line.key}')}/100,0)"]
            capacity = [lit(line.capacity)]
            for init in self.s.initiatives:
                units = _units(init.run_rate_volume, key)
                if units:
                    parts.append(f"+ROUND({units}*{self.v(init.id)}/100,0)")
                added = _units(init.capacity_added, key)
                if added:
                    capacity.append(f"+IF({self.v(init.id)}>0,{added},0)")
            for hours in self.s.service_hours:
                h = self.v(hours.id)
                parts.append(signed([(_units(hours.volume_per_added, key), f"MAX({h},0)"),
                                     (-_units(hours.volume_per_closed, key), f"MAX(-{h},0)")]))
                capacity.append(signed([(_units(hours.capacity_per_session, key), h)]))
            for pool in self.s.pools:
                above = _units(pool.volume_per_fte_above, key)
                below = _units(pool.volume_per_fte_below, key)
                if above:
                    parts.append(f"+ROUND({above}*{self.at(f'surplus:{pool.id}')},0)")
                if below:
                    parts.append(f"-ROUND({below}*{self.at(f'deficit:{pool.id}')},0)")
            demand, cap = self.at(f"demand:{key}"), self.at(f"capacity:{key}")
            self.put(f"demand:{key}", "".join(parts), "count")
            self.put(f"capacity:{key}", "=" + "".join(capacity), "count")
            self.put(f"planned:{key}", f"=MAX(0,MIN({cap},{demand}))", "count")
            self.put(f"capacity_note:{key}", f'=IF({demand}>{cap},"capacity-limited","")',
                     "text")

    def revenue(self) -> None:
        """revenue = ROUND(planned * ROUND(rate * (1 - share * cut), 2), 2); supplies at the
        chosen tier's price when its volume commitment is met, else today's price."""
        cut = self.s.payer_cut
        for line in self.s.revenue_lines:
            key = line.id
            self.label("revenue", key, line.label)
            volume, rate = self.at(f"volume:{key}"), f"C{self.rows[f'revenue:{key}']}"
            self.put(f"volume:{key}", f"={self.at(f'planned:{key}')}", "count")
            self.sheet[rate] = Cell(line.rate, "money")
            self.put(f"net_rate:{key}", f"=ROUND({rate}*(1-{lit(cut.share_pct)}*"
                     f"{lit(cut.cut_pct)}/10000),2)", "money")
            self.put(f"revenue:{key}", f"=ROUND({volume}*{self.at(f'net_rate:{key}')},2)",
                     "money")
            lever = f"supply.{line.key}"
            tier = self.at(f"tier:{key}")
            self.put(f"tier:{key}", f"={self.v(lever)}" if lever in self.refs else 0, "tier")
            today = lit(line.tiers[0].cost_per_unit)
            price = today
            for t in reversed(line.tiers[1:]):
                price = (f"IF({tier}={t.tier},IF({volume}>={t.min_volume},"
                         f"{lit(t.cost_per_unit)},{today}),{price})")
            self.put(f"price:{key}", f"={price}" if len(line.tiers) > 1 else line.tiers[0].cost_per_unit,
                     "money")
            self.put(f"variable_cost:{key}", f"=ROUND({volume}*{self.at(f'price:{key}')},2)",
                     "money")
            row = self.rows[f"revenue:{key}"]
            self.sheet[f"I{row}"] = Cell(f"={self.at(f'revenue:{key}')}-"
                                         f"{self.at(f'variable_cost:{key}')}", "money")

    def cost_row(self, key: str, label: str, behaviour: str, *, quantity: str | None = None,
                 unit: Decimal | str | None = None, amount: str | Decimal | None = None,
                 one_time: str | None = None, relief: str | None = None,
                 quantity_style: str = "fte") -> None:
        """One cost line; ``amount`` defaults to ``ROUND(quantity * unit cost, 2)``."""
        self.label("cost", key, label)
        self.sheet[f"B{self.rows[f'cost:{key}']}"] = Cell(behaviour, "text")
        if quantity is not None:
            self.put(f"quantity:{key}", quantity, quantity_style)
        if unit is not None:
            self.put(f"unit_cost:{key}", unit, "money")
        if amount is None:
            amount = f"=ROUND({self.at(f'quantity:{key}')}*{self.at(f'unit_cost:{key}')},2)"
        self.put(f"amount:{key}", amount, "money")
        self.put(f"one_time_cost:{key}", one_time or 0, "money")
        self.put(f"relief:{key}", relief or 0, "money")

    def costs(self) -> None:
        """Supplies (from the revenue lines); staffing ``ROUND(paid * loaded cost, 2)``;
        recruiting ``ROUND(c * cost, 2)``, one-time; service hours ``ROUND(v * cost, 2)``; an
        initiative ``IF(v > 0, recurring + one-time, 0)``; a capital item ``IF(v = 1,
        maintenance, expense)``; the fixed lines as given."""
        for line in self.s.revenue_lines:
            self.cost_row(line.supply_line_id, f"Supplies and variable cost: {line.supply_label}",
                          "variable", quantity=f"={self.at(f'volume:{line.id}')}",
                          unit=f"={self.at(f'price:{line.id}')}",
                          amount=f"={self.at(f'variable_cost:{line.id}')}", quantity_style="count")
        for staff in self.s.staffing_lines:
            self.cost_row(staff.id, staff.label, "step-fixed",
                          quantity=f"={self.at(f'paid:{staff.id}')}", unit=staff.loaded_cost)
        conv = self.s.conversion
        self.cost_row("cost.recruiting", "Recruiting for converted positions (one-time)",
                      "fixed", quantity=f"={self.v(conv.lever_id)}", unit=conv.recruiting_cost,
                      one_time=f"={self.at('amount:cost.recruiting')}")
        for hours in self.s.service_hours:
            self.cost_row(hours.cost_line_id, f"Service hours: {hours.label}", "step-fixed",
                          quantity=f"={self.v(hours.id)}", unit=hours.cost_per_session)
        for init in self.s.initiatives:
            on = f"{self.v(init.id)}>0"
            self.cost_row(init.cost_line_id, f"Initiative: {init.label}", "fixed",
                          amount=f"=IF({on},{lit(cents(init.recurring_cost + init.one_time_cost))},0)",
                          one_time=f"=IF({on},{lit(cents(init.one_time_cost))},0)")
        for item in self.s.capital_items:
            deferred = f"{self.v(item.id)}=1"
            self.cost_row(item.cost_line_id, f"Capital: {item.label} (first-year expense)", "fixed",
                          amount=f"=IF({deferred},{lit(cents(item.added_maintenance))},"
                                 f"{lit(cents(item.annual_expense))})",
                          relief=f"=IF({deferred},"
                                 f"{lit(cents(item.annual_expense - item.added_maintenance))},0)")
        for fixed in self.s.fixed_costs:
            self.cost_row(fixed.id, fixed.label, "fixed", amount=cents(fixed.amount))

    def totals(self) -> None:
        """The summary: plain sums of rounded lines, and ``margin_pct`` rounded once."""
        ids = cost_line_ids(self.s)
        variable = len(self.s.revenue_lines)
        revenue = [self.at(f"revenue:{r.id}") for r in self.s.revenue_lines]
        first, last = self.rows[f"cost:{ids[0]}"], self.rows[f"cost:{ids[-1]}"]

        def t(name: str) -> str:
            return self.at(f"total:{name}")

        formulas: dict[str, str | Decimal] = {
            "revenue": f"=SUM({revenue[0]}:{revenue[-1]})",
            "variable_cost": f"=SUM(E{first}:E{first + variable - 1})",
            "contribution_margin": f"={t('revenue')}-{t('variable_cost')}",
            "fixed_cost": f"=SUM(E{first + variable}:E{last})",
            "total_cost": f"={t('variable_cost')}+{t('fixed_cost')}",
            "operating_margin": f"={t('contribution_margin')}-{t('fixed_cost')}",
            "margin_pct": f"=IF({t('revenue')}=0,0,"
                          f"ROUND({t('operating_margin')}/{t('revenue')}*100,2))",
            "margin_target": cents(self.s.goals.margin_target),
            "margin_vs_target": f"={t('operating_margin')}-{t('margin_target')}",
            "one_time_costs": f"=SUM(F{first}:F{last})",
            "one_time_relief": f"=SUM(G{first}:G{last})",
            "recurring_margin": f"={t('operating_margin')}+{t('one_time_costs')}"
                                f"-{t('one_time_relief')}",
            "meets_target": f'=IF({t("operating_margin")}>={t("margin_target")},"yes","no")',
        }
        for key, label in TOTALS:
            self.label("total", key, label)
            style = {"margin_pct": "pct", "meets_target": "text"}.get(key, "money")
            self.put(f"total:{key}", formulas[key], style)

    def quality(self) -> None:
        """``ROUND(baseline + every effect, 2)`` and its status against the floor."""
        for ind in self.s.indicators:
            q = ind.id
            terms: list[tuple[Decimal | int, str]] = []
            for pool in self.s.pools:
                terms += [(pool.per_fte_below.get(q), self.at(f"deficit:{pool.id}")),
                          (pool.per_fte_above.get(q), self.at(f"surplus:{pool.id}"))]
            for hours in self.s.service_hours:
                h = self.v(hours.id)
                terms += [(hours.quality_per_added.get(q), f"MAX({h},0)"),
                          (hours.quality_per_closed.get(q), f"MAX(-{h},0)")]
            for init in self.s.initiatives:
                terms.append((init.quality_at_run_rate.get(q), f"{self.v(init.id)}/100"))
            for item in self.s.capital_items:
                effect = item.quality_if_deferred.get(q)
                if effect:
                    terms.append((1, f"IF({self.v(item.id)}=1,{lit(effect)},0)"))
            for line in self.s.revenue_lines:
                terms.append((line.quality_per_1000_units.get(q),
                              f"({self.at(f'planned:{line.id}')}"
                              f"-{self.at(f'baseline_volume:{line.id}')})/1000"))
            row = self.rows[f"quality:{q}"]
            self.label("quality", q, ind.label)
            self.sheet[f"B{row}"] = Cell(ind.unit, "text")
            self.sheet[f"C{row}"] = Cell(ind.baseline, "quality")
            self.sheet[f"E{row}"] = Cell(ind.floor, "quality")
            value = self.at(f"quality:{q}")
            self.put(f"quality:{q}", f"=ROUND(C{row}{signed(terms)},2)", "quality")
            self.put(f"status:{q}", f'=IF({value}<=C{row},"kept",IF({value}<=E{row},'
                     f'"at risk","broken"))', "text")
