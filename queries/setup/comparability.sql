-- grain: macros, no rows: the comparability verdict between two figures of one concept
-- params: none (each macro takes both figures' metric, measure, scope, qualifier, period basis, start and end)
create macro period_months(start_date, end_date) as round((date_diff('day', start_date, end_date) + 1) / 30.4375);

-- flows, growth rates and plans are over a period; stocks, shares, sizes, durations and ratios are on a date
create macro measured_over_period(measure) as measure in ('flow', 'change_rate', 'target');

create macro periods_match(measure_a, basis_a, start_a, end_a, measure_b, basis_b, start_b, end_b) as
    coalesce(
        if(
            measured_over_period(measure_a) and measured_over_period(measure_b),
            basis_a <> 'open' and basis_b <> 'open'
            and period_months(start_a, end_a) = period_months(start_b, end_b),
            abs(date_diff('day', end_a, end_b)) <= 365
        ),
        false
    );

-- every reason two figures are not like for like; an empty list is a like-for-like comparison
create macro comparability_reasons(
    metric_a, measure_a, scope_a, qualifier_a, basis_a, start_a, end_a,
    metric_b, measure_b, scope_b, qualifier_b, basis_b, start_b, end_b
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
            periods_match(measure_a, basis_a, start_a, end_a, measure_b, basis_b, start_b, end_b),
            null,
            'different_period'
        ),
    ],
    lambda reason: reason is not null
);
