#include "gateway/core/text_exposition.h"

#include <limits>

#include "gateway/common/histogram.h"
#include "gtest/gtest.h"

namespace streamgate::metrics {
namespace {

TEST(TextExpositionTest, GroupsFamiliesWithHelpTypeAndEscapedLabels) {
  TextExposition t;
  t.Counter("a_total", "First \\ help\nline.", {{"module", "x"}}, 3);
  t.Gauge("b", "A gauge.", {}, 1.5);
  t.Counter("a_total", "ignored", {{"module", "q\"u\\o\nte"}}, 4);
  EXPECT_EQ(t.Render(),
            "# HELP a_total First \\\\ help\\nline.\n"
            "# TYPE a_total counter\n"
            "a_total{module=\"x\"} 3\n"
            "a_total{module=\"q\\\"u\\\\o\\nte\"} 4\n"
            "# HELP b A gauge.\n"
            "# TYPE b gauge\n"
            "b 1.5\n");
}

TEST(TextExpositionTest, FormatsValues) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(12345678901234.0), "12345678901234");
  EXPECT_EQ(FormatValue(0.001), "0.001");
  EXPECT_EQ(FormatValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(TextExpositionTest, HistogramIsCumulativeWithInfSumAndCount) {
  LatencyHistogram h;
  h.Observe(0.0005);  // <= 0.001
  h.Observe(0.003);   // <= 0.005
  h.Observe(60);      // > 30 s: only +Inf
  TextExposition t;
  t.Histogram("lat_seconds", "Latency.", {{"module", "m"}}, h.Snapshot());
  const std::string text = t.Render();
  EXPECT_NE(text.find("lat_seconds_bucket{module=\"m\",le=\"0.001\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{module=\"m\",le=\"0.0025\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{module=\"m\",le=\"0.005\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{module=\"m\",le=\"30\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{module=\"m\",le=\"+Inf\"} 3\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_sum{module=\"m\"} 60.0035\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{module=\"m\"} 3\n"), std::string::npos)
      << text;
}

TEST(LabeledWriterTest, PrependsFixedLabels) {
  TextExposition t;
  LabeledWriter w(t, {{"module", "m1"}});
  w.Counter("c_total", "C.", {{"code", "X"}}, 2);
  EXPECT_EQ(t.Render(),
            "# HELP c_total C.\n# TYPE c_total counter\n"
            "c_total{module=\"m1\",code=\"X\"} 2\n");
}

}  // namespace
}  // namespace streamgate::metrics
