-- grain: macros, no rows: the comparability verdict between two figures of one concept, and the adjustments that make figures of places of different size comparable
-- params: none (each macro takes both figures' metric, measure, scope, qualifier, period basis, start and end, and optionally the places' level and size)
create macro period_months(start_date, end_date) as round((date_diff('day', start_date, end_date) + 1) / 30.4375);

-- the like-for-like window: two figures on dates, or two flows per month, at most this many days apart
create macro like_for_like_days() as 365;

-- places whose sizes (sub-districts) differ by more than this factor are of different size
create macro size_ratio_limit() as 1.5;

-- flows, growth rates and plans are over a period; stocks, shares, sizes, durations and ratios are on a date
create macro measured_over_period(measure) as measure in ('flow', 'change_rate', 'target');

-- counts and amounts grow with a place; shares, rates, durations and one thing's size do not
create macro grows_with_place(measure) as measure in ('stock', 'flow', 'target');

create macro within_window(end_a, end_b) as abs(date_diff('day', end_a, end_b)) <= like_for_like_days();

-- per month, flows of known periods of different lengths compare when they end within the window
create macro periods_match(measure_a, basis_a, start_a, end_a, measure_b, basis_b, start_b, end_b, per_month := false) as
    coalesce(
        if(
            measured_over_period(measure_a) and measured_over_period(measure_b),
            basis_a <> 'open' and basis_b <> 'open'
            and (
                period_months(start_a, end_a) = period_months(start_b, end_b)
                or (per_month and within_window(end_a, end_b))
            ),
            within_window(end_a, end_b)
        ),
        false
    );

create macro sizes_differ(size_a, size_b) as
    coalesce(greatest(size_a, size_b) / least(size_a, size_b) > size_ratio_limit(), false);

-- every reason two figures are not like for like; an empty list is a like-for-like comparison. A level
-- (city, district) and a size (sub-districts; null when unknown or divided out by a per-unit view) are optional.
create macro comparability_reasons(
    metric_a, measure_a, scope_a, qualifier_a, basis_a, start_a, end_a,
    metric_b, measure_b, scope_b, qualifier_b, basis_b, start_b, end_b,
    level_a := null, size_a := null, level_b := null, size_b := null, per_month := false
) as list_filter(
    [
        if(metric_a <> metric_b, 'different_definition', null),
        if(measure_a <> measure_b, 'different_measure', null),
        if(scope_a is not null or scope_b is not null, 'part_of_place', null),
        if(
            (measure_a = 'target' or qualifier_a = 'target') <> (measure_b = 'target' or qualifier_b = 'target'),
            'plan_vs_outcome',
            null
        ),
        if(qualifier_a = 'estimate' or qualifier_b = 'estimate', 'estimate', null),
        if(basis_a = 'open' or basis_b = 'open', 'open_period', null),
        if(basis_a <> basis_b, 'different_period_basis', null),
        if(
            periods_match(measure_a, basis_a, start_a, end_a, measure_b, basis_b, start_b, end_b, per_month := per_month),
            null,
            'different_period'
        ),
        if(level_a <> level_b, 'different_level', null),
        if(
            grows_with_place(measure_a) and grows_with_place(measure_b) and sizes_differ(size_a, size_b),
            'different_size',
            null
        ),
    ],
    lambda reason: reason is not null
);
