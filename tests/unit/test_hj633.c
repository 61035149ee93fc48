/*
 * Unit tests for ruleset/standards/hj633: IAQI and AQI of both editions.
 *
 * Every expected value is written out by hand from the standards README: §7.3's vector table
 * (2012 column as printed; 2026 recomputed from §1b Table 3 after GB/T 8170 rounding of the
 * input), the special-rule vectors, the §1b worked example and the §7.3 real-time example.
 * The comment beside each vector shows the arithmetic, eq. (1) rounded up (§1.3).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hj633.h"

/* Doubles compared to @eps (cmocka 1.1.5's assert_float_equal works in float). */
#define assert_near(got, want, eps)                                                                \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        if (!(fabs(g_ - w_) <= (eps)))                                                             \
            fail_msg("%s = %.15g, want %.15g", #got, g_, w_);                                      \
    } while (0)

/* -1: deferred (2012 notes ②③). */
#define DEFER (-1)

struct vec {
    enum hj633_pollutant p;
    enum hj633_avg avg;
    double conc;
    int exp_2012;
    int exp_2026;
    bool is_above; /* above the column's top breakpoint (both editions) */
};

/* README §7.3, every row. "2012" is the README's expected column; "2026" rounds C first. */
static const struct vec vectors[] = {
    /* PM2.5 24h: 2012 breakpoints 0/35/75/115/150/250/350/500; 2026 0/35/60/115/... */
    {HJ633_PM25, HJ633_24H, 0, 0, 0, false},        /* at 0 -> 0 */
    {HJ633_PM25, HJ633_24H, 10, 15, 15, false},     /* 50*10/35 = 14.29 -> 15 (both) */
    {HJ633_PM25, HJ633_24H, 35, 50, 50, false},     /* on breakpoint -> 50 */
    {HJ633_PM25, HJ633_24H, 35.4, 51, 50, false},   /* 12: 50+50*0.4/40 = 50.5 -> 51;
                                                       26: 35.4 -> 35 -> 50 */
    {HJ633_PM25, HJ633_24H, 35.5, 51, 52, false},   /* 12: 50+50*0.5/40 = 50.625 -> 51;
                                                       26: 35.5 -> 36 (5 is odd) -> 50+50*1/25=52 */
    {HJ633_PM25, HJ633_24H, 36, 52, 52, false},     /* 12: 50+50*1/40 = 51.25 -> 52;
                                                       26: 50+50*1/25 = 52 */
    {HJ633_PM25, HJ633_24H, 50, 69, 80, false},     /* 12: 50+50*15/40 = 68.75 -> 69;
                                                       26: 50+50*15/25 = 80 */
    {HJ633_PM25, HJ633_24H, 75, 100, 114, false},   /* 12: 100; 26: 100+50*15/55 = 113.64 -> 114 */
    {HJ633_PM25, HJ633_24H, 75.4, 101, 114, false}, /* 12: 100+50*0.4/40 = 100.5 -> 101;
                                                       26: 75.4 -> 75 -> 114 */
    {HJ633_PM25, HJ633_24H, 76, 102, 115, false},   /* 12: 100+50*1/40 = 101.25 -> 102;
                                                       26: 100+50*16/55 = 114.55 -> 115 */
    {HJ633_PM25, HJ633_24H, 100, 132, 137, false},  /* 12: 100+50*25/40 = 131.25 -> 132;
                                                       26: 100+50*40/55 = 136.36 -> 137 */
    {HJ633_PM25, HJ633_24H, 115, 150, 150, false},  /* breakpoint -> 150 */
    {HJ633_PM25, HJ633_24H, 150, 200, 200, false},  /* breakpoint -> 200 */
    {HJ633_PM25, HJ633_24H, 250, 300, 300, false},  /* breakpoint -> 300 */
    {HJ633_PM25, HJ633_24H, 350, 400, 400, false},  /* breakpoint -> 400 */
    {HJ633_PM25, HJ633_24H, 500, 500, 500, false},  /* top breakpoint, not above it -> 500 */
    {HJ633_PM25, HJ633_24H, 501, 500, 500, true},   /* above 500: capped 500 (decision 6) */
    {HJ633_PM25, HJ633_24H, 600, 500, 500, true},   /* above 500: capped 500 */
    /* PM10 24h: 2012 0/50/150/250/350/420/500/600; 2026 0/50/120/250/... */
    {HJ633_PM10, HJ633_24H, 50, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_PM10, HJ633_24H, 50.5, 51, 50, false},  /* 12: 50+50*0.5/100 = 50.25 -> 51;
                                                      26: 50.5 -> 50 (0 is even) -> 50 */
    {HJ633_PM10, HJ633_24H, 100, 75, 86, false},   /* 12: 50+50*50/100 = 75;
                                                      26: 50+50*50/70 = 85.71 -> 86 */
    {HJ633_PM10, HJ633_24H, 150, 100, 112, false}, /* 12: 100; 26: 100+50*30/130 = 111.54 -> 112 */
    {HJ633_PM10, HJ633_24H, 151, 101, 112, false}, /* 12: 100+50*1/100 = 100.5 -> 101;
                                                      26: 100+50*31/130 = 111.92 -> 112 */
    {HJ633_PM10, HJ633_24H, 420, 300, 300, false}, /* breakpoint -> 300 */
    {HJ633_PM10, HJ633_24H, 600, 500, 500, false}, /* top -> 500 */
    {HJ633_PM10, HJ633_24H, 601, 500, 500, true},  /* above top: capped 500 */
    /* CO 24h (mg/m³): 0/2/4/14/24/36/48/60; 2026 rounds to 0.1 (no change for these) */
    {HJ633_CO, HJ633_24H, 0.5, 13, 13, false},    /* 50*0.5/2 = 12.5 -> 13 */
    {HJ633_CO, HJ633_24H, 1.9, 48, 48, false},    /* 50*1.9/2 = 47.5 -> 48 */
    {HJ633_CO, HJ633_24H, 2.0, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_CO, HJ633_24H, 2.5, 63, 63, false},    /* 50+50*0.5/2 = 62.5 -> 63 */
    {HJ633_CO, HJ633_24H, 3.9, 98, 98, false},    /* 50+50*1.9/2 = 97.5 -> 98 */
    {HJ633_CO, HJ633_24H, 4.0, 100, 100, false},  /* breakpoint -> 100 */
    {HJ633_CO, HJ633_24H, 4.5, 103, 103, false},  /* 100+50*0.5/10 = 102.5 -> 103 */
    {HJ633_CO, HJ633_24H, 14.0, 150, 150, false}, /* breakpoint -> 150 */
    /* CO 1h: 0/5/10/35/60/90/120/150 */
    {HJ633_CO, HJ633_1H, 4.4, 44, 44, false},    /* 50*4.4/5 = 44 exactly -> 44 */
    {HJ633_CO, HJ633_1H, 5.0, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_CO, HJ633_1H, 7.5, 75, 75, false},    /* 50+50*2.5/5 = 75 */
    {HJ633_CO, HJ633_1H, 10.0, 100, 100, false}, /* breakpoint -> 100 */
    /* SO2 24h: 0/50/150/475/800/1600/2100/2620 (aqi-hub's 1-h table here is the known bug) */
    {HJ633_SO2, HJ633_24H, 50, 50, 50, false},     /* breakpoint -> 50 */
    {HJ633_SO2, HJ633_24H, 100, 75, 75, false},    /* 50+50*50/100 = 75 */
    {HJ633_SO2, HJ633_24H, 475, 150, 150, false},  /* breakpoint -> 150 */
    {HJ633_SO2, HJ633_24H, 800, 200, 200, false},  /* breakpoint -> 200 */
    {HJ633_SO2, HJ633_24H, 1600, 300, 300, false}, /* breakpoint -> 300 */
    /* SO2 1h: 0/150/500/650/800, nothing above */
    {HJ633_SO2, HJ633_1H, 150, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_SO2, HJ633_1H, 500, 100, 100, false},  /* breakpoint -> 100 */
    {HJ633_SO2, HJ633_1H, 800, 200, 200, false},  /* top breakpoint -> 200 */
    {HJ633_SO2, HJ633_1H, 801, DEFER, 200, true}, /* 12: note ② defers; 26: footnote ᵇ 200 */
    /* NO2 24h: 0/40/80/180/280/... */
    {HJ633_NO2, HJ633_24H, 40, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_NO2, HJ633_24H, 60, 75, 75, false},    /* 50+50*20/40 = 75 */
    {HJ633_NO2, HJ633_24H, 80, 100, 100, false},  /* breakpoint -> 100 */
    {HJ633_NO2, HJ633_24H, 200, 160, 160, false}, /* 150+50*20/100 = 160 */
    /* NO2 1h: 0/100/200/700/1200/... */
    {HJ633_NO2, HJ633_1H, 100, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_NO2, HJ633_1H, 150, 75, 75, false},    /* 50+50*50/100 = 75 */
    {HJ633_NO2, HJ633_1H, 1200, 200, 200, false}, /* breakpoint -> 200 */
    /* O3 1h: 0/160/200/300/400/800/1000/1200 */
    {HJ633_O3, HJ633_1H, 160, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_O3, HJ633_1H, 180, 75, 75, false},    /* 50+50*20/40 = 75 */
    {HJ633_O3, HJ633_1H, 200, 100, 100, false},  /* breakpoint -> 100 */
    {HJ633_O3, HJ633_1H, 400, 200, 200, false},  /* breakpoint -> 200 */
    {HJ633_O3, HJ633_1H, 800, 300, 300, false},  /* breakpoint -> 300 */
    {HJ633_O3, HJ633_1H, 1200, 500, 500, false}, /* top -> 500 */
    /* O3 8h: 0/100/160/215/265/800, nothing above */
    {HJ633_O3, HJ633_8H, 100, 50, 50, false},    /* breakpoint -> 50 */
    {HJ633_O3, HJ633_8H, 130, 75, 75, false},    /* 50+50*30/60 = 75 */
    {HJ633_O3, HJ633_8H, 160, 100, 100, false},  /* breakpoint -> 100 */
    {HJ633_O3, HJ633_8H, 265, 200, 200, false},  /* breakpoint -> 200 */
    {HJ633_O3, HJ633_8H, 266, 201, 201, false},  /* 200+100*1/535 = 200.19 -> 201 */
    {HJ633_O3, HJ633_8H, 800, 300, 300, false},  /* top breakpoint -> 300 */
    {HJ633_O3, HJ633_8H, 801, DEFER, 300, true}, /* 12: note ③ defers; 26: footnote ᶜ 300 */
};

static void check_vectors(enum hj633_edition ed)
{
    size_t i;

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct vec *v = &vectors[i];
        struct hj633_subindex s;
        int exp = ed == HJ633_2012 ? v->exp_2012 : v->exp_2026;

        memset(&s, 0x55, sizeof(s));
        assert_int_equal(hj633_iaqi(ed, v->p, v->avg, v->conc, &s), 0);
        if (s.iaqi != exp || s.is_above_scale != v->is_above)
            print_error("vector %zu: %s %g -> iaqi %d above %d, want %d above %d\n", i,
                        hj633_pollutant_name(v->p), v->conc, s.iaqi, s.is_above_scale, exp,
                        v->is_above);
        assert_int_equal(s.iaqi, exp);
        assert_int_equal(s.is_above_scale, v->is_above);
        assert_int_equal(s.is_deferred, exp == DEFER);
    }
}

static void test_iaqi_vectors_2012(void **state)
{
    check_vectors(HJ633_2012);
}

static void test_iaqi_vectors_2026(void **state)
{
    check_vectors(HJ633_2026);
}

/* HJ 633-2026 §4.2.2: GB/T 8170 rounding (half to even) of the input before eq. (1). */
static void test_iaqi_2026_rounds_input(void **state)
{
    struct hj633_subindex s;

    /* PM2.5 36.5 -> 36 (6 even, exact half dropped) -> 50+50*1/25 = 52 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_24H, 36.5, &s), 0);
    assert_near(s.conc_used, 36.0, 0);
    assert_int_equal(s.iaqi, 52);
    /* PM2.5 37.5 -> 38 (7 odd, half goes up) -> 50+50*3/25 = 56 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_24H, 37.5, &s), 0);
    assert_near(s.conc_used, 38.0, 0);
    assert_int_equal(s.iaqi, 56);
    /* PM2.5 36.51 -> 37 (more than half) -> 50+50*2/25 = 54 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_24H, 36.51, &s), 0);
    assert_int_equal(s.iaqi, 54);
    /* PM10 51.5 -> 52 -> 50+50*2/70 = 51.43 -> 52 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM10, HJ633_24H, 51.5, &s), 0);
    assert_near(s.conc_used, 52.0, 0);
    assert_int_equal(s.iaqi, 52);
    /* CO 24h 0.45 -> 0.4 (4 even) -> 50*0.4/2 = 10; 2012 reads 0.45: 11.25 -> 12 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_CO, HJ633_24H, 0.45, &s), 0);
    assert_near(s.conc_used, 0.4, 1e-12);
    assert_int_equal(s.iaqi, 10);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_CO, HJ633_24H, 0.45, &s), 0);
    assert_near(s.conc_used, 0.45, 0);
    assert_int_equal(s.iaqi, 12);
    /* CO 24h 0.55 -> 0.6 (5 odd) -> 50*0.6/2 = 15 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_CO, HJ633_24H, 0.55, &s), 0);
    assert_int_equal(s.iaqi, 15);
    /* CO 1h 4.44 -> 4.4 -> 50*4.4/5 = 44 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_CO, HJ633_1H, 4.44, &s), 0);
    assert_int_equal(s.iaqi, 44);
    /* SO2 1h 800.5 -> 800 (0 even): on the top breakpoint, 200, not above the scale */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_SO2, HJ633_1H, 800.5, &s), 0);
    assert_int_equal(s.iaqi, 200);
    assert_false(s.is_above_scale);
    /* O3 8h 801.5 -> 802 > 800: footnote ᶜ, 300, above the scale */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_O3, HJ633_8H, 801.5, &s), 0);
    assert_int_equal(s.iaqi, 300);
    assert_true(s.is_above_scale);
    /* 2012 reads SO2 1h 800.5 as is: above 800, note ② */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_SO2, HJ633_1H, 800.5, &s), 0);
    assert_true(s.is_deferred);
    assert_int_equal(s.iaqi, -1);
}

/*
 * Values where eq. (1) in plain doubles lands just above an integer and a naive ceil()
 * adds a point (README §1.3 "use exact arithmetic"). All HJ 633-2012.
 */
static void test_iaqi_exact_arithmetic(void **state)
{
    struct hj633_subindex s;

    /* PM2.5 24h 4.9: 50*4.9/35 = 7 exactly (doubles give 7.000000000000001) */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, 4.9, &s), 0);
    assert_int_equal(s.iaqi, 7);
    /* PM2.5 24h 9.8: 50*9.8/35 = 14 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, 9.8, &s), 0);
    assert_int_equal(s.iaqi, 14);
    /* PM2.5 24h 128.3: 150+50*13.3/35 = 169 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, 128.3, &s), 0);
    assert_int_equal(s.iaqi, 169);
    /* CO 24h 2.2: 50+50*0.2/2 = 55 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_CO, HJ633_24H, 2.2, &s), 0);
    assert_int_equal(s.iaqi, 55);
    /* CO 24h 36.84: 300+100*0.84/12 = 307 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_CO, HJ633_24H, 36.84, &s), 0);
    assert_int_equal(s.iaqi, 307);
    /* NO2 24h 8.8: 50*8.8/40 = 11 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_NO2, HJ633_24H, 8.8, &s), 0);
    assert_int_equal(s.iaqi, 11);
    /* PM10 24h 352.8: 200+100*2.8/70 = 204 exactly */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM10, HJ633_24H, 352.8, &s), 0);
    assert_int_equal(s.iaqi, 204);
    /* ... while a hair above still rounds up: PM2.5 4.9001 -> 7.0014 -> 8 */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, 4.9001, &s), 0);
    assert_int_equal(s.iaqi, 8);
}

static void test_iaqi_combinations_and_errors(void **state)
{
    struct hj633_subindex s;

    /* 2012 publishes PM 1-h means without an IAQI (README §1.6) */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_1H, 50, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM10, HJ633_1H, 50, &s), COL_ERR_INVAL);
    /* 2026 §4.2.4: PM 1-h on the daily breakpoints: PM2.5 50 -> 50+50*15/25 = 80 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_1H, 50, &s), 0);
    assert_int_equal(s.iaqi, 80);
    /* PM10 1h 100 -> 50+50*50/70 = 85.71 -> 86 */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM10, HJ633_1H, 100, &s), 0);
    assert_int_equal(s.iaqi, 86);
    /* combinations no table defines */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_CO, HJ633_8H, 1, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_O3, HJ633_24H, 1, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_8H, 1, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_N_POLLUTANTS, HJ633_1H, 1, &s), COL_ERR_INVAL);
    /* bad values */
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, -0.1, &s), COL_ERR_RANGE);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, NAN, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, INFINITY, &s), COL_ERR_INVAL);
    assert_int_equal(hj633_iaqi(HJ633_2012, HJ633_PM25, HJ633_24H, 1, NULL), COL_ERR_INVAL);
    /* absurdly large is above the scale, not an error (decision 6) */
    assert_int_equal(hj633_iaqi(HJ633_2026, HJ633_PM25, HJ633_24H, 1e12, &s), 0);
    assert_int_equal(s.iaqi, 500);
    assert_true(s.is_above_scale);
}

static void set(struct hj633_input *in, enum hj633_indicator ind, double conc)
{
    in->conc[ind] = conc;
    in->present[ind] = true;
}

/* README §1b worked example: SO2 10, NO2 45, PM10 80, CO 0.8, O3 1h 180, MDA8 150, PM2.5 60. */
static void worked_example(struct hj633_input *in)
{
    memset(in, 0, sizeof(*in));
    set(in, HJ633_SO2_24H, 10);
    set(in, HJ633_NO2_24H, 45);
    set(in, HJ633_PM10_24H, 80);
    set(in, HJ633_CO_24H, 0.8);
    set(in, HJ633_O3_1H, 180);
    set(in, HJ633_O3_8H, 150);
    set(in, HJ633_PM25_24H, 60);
}

static void test_aqi_daily_worked_example_2012(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    worked_example(&in);
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_SO2_24H], 10);  /* 50*10/50 = 10 */
    assert_int_equal(a.iaqi[HJ633_NO2_24H], 57);  /* 50+50*5/40 = 56.25 -> 57 */
    assert_int_equal(a.iaqi[HJ633_PM10_24H], 65); /* 50+50*30/100 = 65 */
    assert_int_equal(a.iaqi[HJ633_CO_24H], 20);   /* 50*0.8/2 = 20 */
    assert_int_equal(a.iaqi[HJ633_O3_1H], 75);    /* 50+50*20/40 = 75 */
    assert_int_equal(a.iaqi[HJ633_O3_8H], 92);    /* 50+50*50/60 = 91.67 -> 92 */
    assert_int_equal(a.iaqi[HJ633_PM25_24H], 82); /* 50+50*25/40 = 81.25 -> 82 */
    assert_int_equal(a.iaqi[HJ633_SO2_1H], -1);   /* not in the daily set */
    assert_int_equal(a.aqi, 92);
    assert_int_equal(a.band->level, 2);
    assert_string_equal(a.band->category_cn, "良");
    assert_int_equal(a.primary, HJ633_BIT(HJ633_O3));
    assert_int_equal(a.over_limit, 0);
    assert_int_equal(a.missing, 0);
    assert_true(a.is_publishable);
    assert_false(a.is_above_scale);
}

static void test_aqi_daily_worked_example_2026(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    worked_example(&in);
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_SO2_24H], 10);
    assert_int_equal(a.iaqi[HJ633_NO2_24H], 57);
    assert_int_equal(a.iaqi[HJ633_PM10_24H], 72); /* 50+50*30/70 = 71.43 -> 72 */
    assert_int_equal(a.iaqi[HJ633_CO_24H], 20);
    assert_int_equal(a.iaqi[HJ633_O3_1H], -1); /* dropped from the 2026 daily set */
    assert_int_equal(a.iaqi[HJ633_O3_8H], 92);
    assert_int_equal(a.iaqi[HJ633_PM25_24H], 100); /* on the new 60 breakpoint */
    assert_int_equal(a.aqi, 100);
    assert_string_equal(a.band->category_cn, "良");
    assert_int_equal(a.primary, HJ633_BIT(HJ633_PM25));
    assert_int_equal(a.over_limit, 0); /* 超标污染物 deleted in 2026 */
    assert_int_equal(a.missing, 0);
    assert_true(a.is_publishable);
}

/*
 * README §7.3 real-time example (2012): SO2 1h 12, NO2 1h 130, CO 1h 1.2, O3 1h 210,
 * O3 8h 170, PM10 24h-moving 95, PM2.5 24h-moving 70.
 */
static void test_aqi_hourly_example_2012(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    memset(&in, 0, sizeof(in));
    set(&in, HJ633_SO2_1H, 12);
    set(&in, HJ633_NO2_1H, 130);
    set(&in, HJ633_CO_1H, 1.2);
    set(&in, HJ633_O3_1H, 210);
    set(&in, HJ633_O3_8H, 170);
    set(&in, HJ633_PM10_24H, 95);
    set(&in, HJ633_PM25_24H, 70);
    set(&in, HJ633_PM25_1H, 400); /* published without an IAQI in 2012: must be ignored */
    assert_int_equal(hj633_aqi_hourly(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_SO2_1H], 4);    /* 50*12/150 = 4 */
    assert_int_equal(a.iaqi[HJ633_NO2_1H], 65);   /* 50+50*30/100 = 65 */
    assert_int_equal(a.iaqi[HJ633_CO_1H], 12);    /* 50*1.2/5 = 12 */
    assert_int_equal(a.iaqi[HJ633_O3_1H], 105);   /* 100+50*10/100 = 105 */
    assert_int_equal(a.iaqi[HJ633_O3_8H], 110);   /* 100+50*10/55 = 109.09 -> 110 */
    assert_int_equal(a.iaqi[HJ633_PM10_24H], 73); /* 50+50*45/100 = 72.5 -> 73 */
    assert_int_equal(a.iaqi[HJ633_PM25_24H], 94); /* 50+50*35/40 = 93.75 -> 94 */
    assert_int_equal(a.iaqi[HJ633_PM25_1H], -1);
    assert_int_equal(a.aqi, 110);
    assert_int_equal(a.band->level, 3);
    assert_string_equal(a.band->category_cn, "轻度污染");
    assert_string_equal(a.band->category_en, "Lightly polluted");
    assert_string_equal(a.band->colour_hex, "#FF7E00");
    assert_int_equal(a.primary, HJ633_BIT(HJ633_O3));
    assert_int_equal(a.over_limit, HJ633_BIT(HJ633_O3)); /* O3 1h 105 and 8h 110 > 100 */
    assert_int_equal(a.missing, 0);
}

/* The same hour under 2026: six 1-h indicators, PM 1-h on daily breakpoints. */
static void test_aqi_hourly_2026(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    memset(&in, 0, sizeof(in));
    set(&in, HJ633_SO2_1H, 12);   /* 4 */
    set(&in, HJ633_NO2_1H, 130);  /* 65 */
    set(&in, HJ633_CO_1H, 1.2);   /* 12 */
    set(&in, HJ633_O3_1H, 210);   /* 105 */
    set(&in, HJ633_O3_8H, 170);   /* not in the 2026 real-time set */
    set(&in, HJ633_PM10_1H, 95);  /* 50+50*45/70 = 82.14 -> 83 */
    set(&in, HJ633_PM25_1H, 70);  /* 100+50*10/55 = 109.09 -> 110 */
    set(&in, HJ633_PM25_24H, 10); /* not in the 2026 real-time set */
    assert_int_equal(hj633_aqi_hourly(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_PM10_1H], 83);
    assert_int_equal(a.iaqi[HJ633_PM25_1H], 110);
    assert_int_equal(a.iaqi[HJ633_O3_1H], 105);
    assert_int_equal(a.iaqi[HJ633_O3_8H], -1);
    assert_int_equal(a.iaqi[HJ633_PM25_24H], -1);
    assert_int_equal(a.aqi, 110);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_PM25));
    assert_int_equal(a.over_limit, 0);
}

/* README §7.3 special-rule vectors. */
static void test_special_2012_o3_8h_over_800(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    /* Daily: O3 8h 801 with O3 1h 180 -> the O3 IAQI is the 1-h one, 50+50*20/40 = 75 */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_O3_8H, 801);
    set(&in, HJ633_O3_1H, 180);
    set(&in, HJ633_PM25_24H, 10); /* 15 */
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_true(a.is_o3_from_1h);
    assert_int_equal(a.iaqi[HJ633_O3_8H], 75);
    assert_int_equal(a.aqi, 75);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_O3));
    assert_true(a.is_above_scale);

    /* Real time, same rule */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_O3_8H, 801);
    set(&in, HJ633_O3_1H, 180);
    assert_int_equal(hj633_aqi_hourly(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_O3_8H], 75);
    assert_int_equal(a.aqi, 75);
}

static void test_special_2012_so2_1h_over_800(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    /* SO2 1h 801 with SO2 24h (moving) 100 -> SO2 IAQI = 50+50*50/100 = 75 (decision 4) */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_SO2_1H, 801);
    set(&in, HJ633_SO2_24H, 100);
    set(&in, HJ633_NO2_1H, 100); /* 50 */
    assert_int_equal(hj633_aqi_hourly(HJ633_2012, &in, &a), 0);
    assert_true(a.is_so2_from_24h);
    assert_int_equal(a.iaqi[HJ633_SO2_1H], 75);
    assert_int_equal(a.aqi, 75);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_SO2));

    /* Without the 24-h mean the SO2 sub-index is missing; AQI from the rest: 50 */
    in.present[HJ633_SO2_24H] = false;
    assert_int_equal(hj633_aqi_hourly(HJ633_2012, &in, &a), 0);
    assert_false(a.is_so2_from_24h);
    assert_int_equal(a.iaqi[HJ633_SO2_1H], -1);
    assert_true(a.missing & HJ633_BIT(HJ633_SO2_24H));
    assert_int_equal(a.aqi, 50);
    assert_int_equal(a.primary, 0); /* AQI <= 50: no primary pollutant */
}

static void test_special_2026_over_800(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    /* Daily: MDA8 801 -> 300 (footnote ᶜ); AQI 300 is level 5 重度污染 */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_O3_8H, 801);
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_O3_8H], 300);
    assert_false(a.is_o3_from_1h);
    assert_int_equal(a.aqi, 300);
    assert_int_equal(a.band->level, 5);
    assert_string_equal(a.band->category_cn, "重度污染");
    assert_true(a.is_publishable); /* incomplete but > 100 (§5.3.1) */

    /* Real time: SO2 1h 801 -> 200 (footnote ᵇ), no 24-h fallback */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_SO2_1H, 801);
    set(&in, HJ633_SO2_24H, 100);
    assert_int_equal(hj633_aqi_hourly(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.iaqi[HJ633_SO2_1H], 200);
    assert_false(a.is_so2_from_24h);
    assert_int_equal(a.aqi, 200);
    assert_int_equal(a.band->level, 4);
}

static void test_primary_ties_and_threshold(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    /* 2026 daily: PM2.5 60 -> 100 and PM10 120 -> 100 tie: both primary (并列) */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_PM25_24H, 60);
    set(&in, HJ633_PM10_24H, 120);
    set(&in, HJ633_NO2_24H, 40); /* 50 */
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.aqi, 100);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_PM25) | HJ633_BIT(HJ633_PM10));

    /* AQI exactly 50 (PM2.5 35): no primary pollutant */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_PM25_24H, 35);
    set(&in, HJ633_PM10_24H, 50);
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.aqi, 50);
    assert_int_equal(a.primary, 0);
    assert_string_equal(a.band->category_cn, "优");

    /* AQI 51 (PM10 50.5 in 2012: 50.25 -> 51): primary PM10 */
    set(&in, HJ633_PM10_24H, 50.5);
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.aqi, 51);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_PM10));
    assert_int_equal(a.band->level, 2);
}

/* 2026 §5.3.1: incomplete sets publish the AQI only when it is > 100. */
static void test_missing_and_publishable(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    worked_example(&in);
    in.present[HJ633_PM25_24H] = false;
    /* 2026 without PM2.5: max(10, 57, 72, 20, 92) = 92 <= 100 -> NA */
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.aqi, 92);
    assert_int_equal(a.missing, HJ633_BIT(HJ633_PM25_24H));
    assert_false(a.is_publishable);
    /* 2012 sets no completeness rule: the AQI is published, PM2.5 shown as NA */
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.missing, HJ633_BIT(HJ633_PM25_24H));
    assert_true(a.is_publishable);

    /* 2026 without PM2.5 but PM10 151 -> 100+50*31/130 = 111.92 -> 112 > 100: published */
    set(&in, HJ633_PM10_24H, 151);
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.aqi, 112);
    assert_true(a.is_publishable);

    /* AQI exactly 100 with a gap: not published */
    set(&in, HJ633_PM10_24H, 120);
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), 0);
    assert_int_equal(a.aqi, 100);
    assert_false(a.is_publishable);

    /* nothing of the set present */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_PM25_1H, 50); /* not in any daily set */
    assert_int_equal(hj633_aqi_daily(HJ633_2026, &in, &a), COL_ERR_NOTFOUND);
    assert_int_equal(hj633_aqi_daily(HJ633_2012, NULL, &a), COL_ERR_INVAL);

    /* a bad value is an error, not a gap */
    worked_example(&in);
    in.conc[HJ633_NO2_24H] = -5;
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), COL_ERR_RANGE);
}

static void test_aqi_above_scale(void **state)
{
    struct hj633_input in;
    struct hj633_aqi a;

    /* PM2.5 600 > 500: IAQI 500 (decision 6), level 6 严重污染, maroon */
    memset(&in, 0, sizeof(in));
    set(&in, HJ633_PM25_24H, 600);
    set(&in, HJ633_PM10_24H, 600); /* top breakpoint exactly: 500, not above */
    assert_int_equal(hj633_aqi_daily(HJ633_2012, &in, &a), 0);
    assert_int_equal(a.aqi, 500);
    assert_true(a.is_above_scale);
    assert_int_equal(a.primary, HJ633_BIT(HJ633_PM25) | HJ633_BIT(HJ633_PM10));
    assert_int_equal(a.band->level, 6);
    assert_string_equal(a.band->category_cn, "严重污染");
    assert_string_equal(a.band->colour_hex, "#7E0023");
}

/* README §1.5 Table 2 / A.1: band edges and colours. */
static void test_bands(void **state)
{
    static const struct {
        int aqi, level;
        const char *cn, *hex;
        uint32_t rgb;
    } b[] = {
        {0, 1, "优", "#00E400", 0x00E400},         {50, 1, "优", "#00E400", 0x00E400},
        {51, 2, "良", "#FFFF00", 0xFFFF00},        {100, 2, "良", "#FFFF00", 0xFFFF00},
        {101, 3, "轻度污染", "#FF7E00", 0xFF7E00}, {150, 3, "轻度污染", "#FF7E00", 0xFF7E00},
        {151, 4, "中度污染", "#FF0000", 0xFF0000}, {200, 4, "中度污染", "#FF0000", 0xFF0000},
        {201, 5, "重度污染", "#99004C", 0x99004C}, {300, 5, "重度污染", "#99004C", 0x99004C},
        {301, 6, "严重污染", "#7E0023", 0x7E0023}, {500, 6, "严重污染", "#7E0023", 0x7E0023},
    };
    size_t i;

    for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        const struct hj633_band *band = hj633_band_for(b[i].aqi);

        assert_non_null(band);
        assert_int_equal(band->level, b[i].level);
        assert_string_equal(band->category_cn, b[i].cn);
        assert_string_equal(band->colour_hex, b[i].hex);
        assert_int_equal(band->rgb, b[i].rgb);
    }
    assert_string_equal(hj633_band_for(0)->category_en, "Excellent");
    assert_string_equal(hj633_band_for(250)->colour_en, "purple");
    assert_string_equal(hj633_band_for(350)->level_cn, "六级");
    assert_null(hj633_band_for(-1));
}

/* Decision 1: the switch is 2026-03-01 00:00 Asia/Shanghai = 2026-02-28T16:00:00Z. */
static void test_edition_for(void **state)
{
    enum hj633_edition ed;
    /* 2026-02-28T16:00:00Z: 20512 days after 1970-01-01 = 1772236800 s, + 16 h = 1772294400 s */
    const int64_t sw = 1772294400000LL;

    assert_int_equal(hj633_edition_for(sw - 1), HJ633_2012);
    assert_int_equal(hj633_edition_for(sw), HJ633_2026);
    assert_int_equal(hj633_edition_for(0), HJ633_2012);
    /* 2025-12-31T23:59:59Z, the plan period's last second: 2012 */
    assert_int_equal(hj633_edition_for(1767225599000LL), HJ633_2012);

    assert_int_equal(hj633_edition_for_day(2026, 2, 28, &ed), 0);
    assert_int_equal(ed, HJ633_2012);
    assert_int_equal(hj633_edition_for_day(2026, 3, 1, &ed), 0);
    assert_int_equal(ed, HJ633_2026);
    assert_int_equal(hj633_edition_for_day(2027, 1, 1, &ed), 0);
    assert_int_equal(ed, HJ633_2026);
    assert_int_equal(hj633_edition_for_day(2024, 2, 29, &ed), 0); /* leap day */
    assert_int_equal(ed, HJ633_2012);
    assert_int_equal(hj633_edition_for_day(2026, 2, 29, &ed), COL_ERR_INVAL);
    assert_int_equal(hj633_edition_for_day(2026, 13, 1, &ed), COL_ERR_INVAL);
    assert_int_equal(hj633_edition_for_day(2026, 4, 31, &ed), COL_ERR_INVAL);
    assert_string_equal(hj633_edition_name(HJ633_2012), "HJ 633-2012");
    assert_string_equal(hj633_edition_name(HJ633_2026), "HJ 633-2026");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iaqi_vectors_2012),
        cmocka_unit_test(test_iaqi_vectors_2026),
        cmocka_unit_test(test_iaqi_2026_rounds_input),
        cmocka_unit_test(test_iaqi_exact_arithmetic),
        cmocka_unit_test(test_iaqi_combinations_and_errors),
        cmocka_unit_test(test_aqi_daily_worked_example_2012),
        cmocka_unit_test(test_aqi_daily_worked_example_2026),
        cmocka_unit_test(test_aqi_hourly_example_2012),
        cmocka_unit_test(test_aqi_hourly_2026),
        cmocka_unit_test(test_special_2012_o3_8h_over_800),
        cmocka_unit_test(test_special_2012_so2_1h_over_800),
        cmocka_unit_test(test_special_2026_over_800),
        cmocka_unit_test(test_primary_ties_and_threshold),
        cmocka_unit_test(test_missing_and_publishable),
        cmocka_unit_test(test_aqi_above_scale),
        cmocka_unit_test(test_bands),
        cmocka_unit_test(test_edition_for),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
