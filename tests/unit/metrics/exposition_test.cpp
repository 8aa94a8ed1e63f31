// The text-format writer: exact lines, escaping, exact integers, and the
// mistakes it refuses to write. The checker the other tests rely on is
// tested here too, on pages it must refuse.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>

#include <lb/metrics/exposition.h>

#include "exposition_checker.h"

using lb::metrics::Exposition;
using lb::metrics::MetricType;
using Lines = std::vector<std::string>;

TEST_CASE("a family is its HELP, its TYPE and its samples, in the order added") {
  Exposition page;
  auto& drops = page.family("lbd_drops_total", MetricType::kCounter, "Packets dropped.");
  auto& up = page.family("lbd_up", MetricType::kGauge, "1 while serving.");
  drops.add({{"worker", "0"}, {"reason", "no_service"}}, uint64_t{3});
  up.add({}, uint64_t{1});
  // Added after a sample of another family: still printed in its own group.
  drops.add({{"worker", "1"}, {"reason", "no_service"}}, uint64_t{0});
  CHECK(page.text() ==
        "# HELP lbd_drops_total Packets dropped.\n"
        "# TYPE lbd_drops_total counter\n"
        "lbd_drops_total{worker=\"0\",reason=\"no_service\"} 3\n"
        "lbd_drops_total{worker=\"1\",reason=\"no_service\"} 0\n"
        "# HELP lbd_up 1 while serving.\n"
        "# TYPE lbd_up gauge\n"
        "lbd_up 1\n");
  CHECK(lb::test::check_exposition(page.text()).errors.empty());
}

TEST_CASE("a family without samples is left out") {
  Exposition page;
  page.family("lbd_service_byte_rate", MetricType::kGauge, "Bytes per second.");
  page.family("lbd_up", MetricType::kGauge, "Up.").add({}, uint64_t{1});
  CHECK(page.text() == "# HELP lbd_up Up.\n# TYPE lbd_up gauge\nlbd_up 1\n");
  CHECK(Exposition().text().empty());
}

TEST_CASE(
    "label values escape backslash, double quote and line feed; HELP escapes backslash "
    "and line feed") {
  CHECK(lb::metrics::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(lb::metrics::escape_label_value("net_af_xdp0,iface=lb-ext") == "net_af_xdp0,iface=lb-ext");
  CHECK(lb::metrics::escape_label_value("caf\xc3\xa9\t") == "caf\xc3\xa9\t");  // UTF-8, tab as is
  CHECK(lb::metrics::escape_help("C:\\dir\nnext \"quoted\"") == "C:\\\\dir\\nnext \"quoted\"");

  Exposition page;
  page.family("lbd_port_info", MetricType::kGauge, "A port.\nSecond line with \\.")
      .add({{"device", "x\\\"y\"\n"}}, uint64_t{1});
  const std::string text = page.text();
  CHECK(text ==
        "# HELP lbd_port_info A port.\\nSecond line with \\\\.\n"
        "# TYPE lbd_port_info gauge\n"
        "lbd_port_info{device=\"x\\\\\\\"y\\\"\\n\"} 1\n");
  const auto scrape = lb::test::check_exposition(text);
  CHECK(scrape.errors.empty());
  // Read back, the value is the original.
  CHECK(scrape.samples.count("lbd_port_info{device=\"x\\\"y\"\n\"}") == 1);
  CHECK(scrape.help.at("lbd_port_info") == "A port.\nSecond line with \\.");
}

TEST_CASE("values: 64-bit integers exactly, doubles in shortest form, NaN and infinities") {
  using lb::metrics::format_value;
  CHECK(format_value(std::numeric_limits<uint64_t>::max()) == "18446744073709551615");
  CHECK(format_value(uint64_t{9007199254740993}) == "9007199254740993");  // 2^53 + 1
  CHECK(format_value(int64_t{-42}) == "-42");
  CHECK(format_value(0.5) == "0.5");
  CHECK(format_value(1234.0) == "1234");
  CHECK(format_value(1e21) == "1e+21");
  CHECK(format_value(std::nan("")) == "NaN");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");

  Exposition page;
  auto& g = page.family("x", MetricType::kGauge, "x");
  g.add({{"v", "max"}}, std::numeric_limits<uint64_t>::max());
  g.add({{"v", "inf"}}, std::numeric_limits<double>::infinity());
  g.add({{"v", "nan"}}, std::nan(""));
  g.add({{"v", "small"}}, 2.5e-7);
  CHECK(lb::test::check_exposition(page.text()).errors.empty());
}

TEST_CASE("names follow the format's grammar") {
  using lb::metrics::is_label_name;
  using lb::metrics::is_metric_name;
  CHECK(is_metric_name("lbd_up"));
  CHECK(is_metric_name("lbd:rule_recorded"));
  CHECK(is_metric_name("_x9"));
  CHECK_FALSE(is_metric_name(""));
  CHECK_FALSE(is_metric_name("9lbd"));
  CHECK_FALSE(is_metric_name("lbd-up"));
  CHECK_FALSE(is_metric_name("lbd up"));
  CHECK(is_label_name("reason"));
  CHECK(is_label_name("_r2"));
  CHECK_FALSE(is_label_name("a:b"));
  CHECK_FALSE(is_label_name("__name__"));
  CHECK_FALSE(is_label_name("2x"));
  CHECK_FALSE(is_label_name(""));
}

TEST_CASE("the writer refuses what would make a scraper reject the page") {
  Exposition page;
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  CHECK(message([&] { page.family("lbd-up", MetricType::kGauge, "x"); }) ==
        "\"lbd-up\" is not a valid metric name");
  CHECK(message([&] { page.family("lbd_drops", MetricType::kCounter, "x"); }) ==
        "counter lbd_drops does not end in _total");
  auto& f = page.family("lbd_drops_total", MetricType::kCounter, "x");
  CHECK(message([&] { page.family("lbd_drops_total", MetricType::kGauge, "x"); }) ==
        "metric family lbd_drops_total declared twice");
  CHECK(message([&] {
          f.add({{"__reason", "a"}}, uint64_t{1});
        }) == "lbd_drops_total: \"__reason\" is not a valid label name");
  CHECK(message([&] {
          f.add({{"re-ason", "a"}}, uint64_t{1});
        }) == "lbd_drops_total: \"re-ason\" is not a valid label name");
  CHECK(message([&] {
          f.add({{"reason", "a"}, {"reason", "b"}}, uint64_t{1});
        }) == "lbd_drops_total: label \"reason\" given twice");
  f.add({{"worker", "0"}, {"reason", "a"}}, uint64_t{1});
  // The same series with its labels in another order.
  CHECK(message([&] {
          f.add({{"reason", "a"}, {"worker", "0"}}, uint64_t{2});
        }) == "lbd_drops_total: series {reason=\"a\",worker=\"0\"} given twice");
  auto& g = page.family("lbd_up", MetricType::kGauge, "x");
  g.add({}, uint64_t{1});
  CHECK(message([&] { g.add({}, uint64_t{1}); }) == "lbd_up: series {} given twice");
  // What was refused is not on the page.
  CHECK(page.text() ==
        "# HELP lbd_drops_total x\n# TYPE lbd_drops_total counter\n"
        "lbd_drops_total{worker=\"0\",reason=\"a\"} 1\n"
        "# HELP lbd_up x\n# TYPE lbd_up gauge\nlbd_up 1\n");
}

TEST_CASE("the checker refuses invalid pages") {
  using lb::test::check_exposition;
  const auto errors = [](std::string_view page) { return check_exposition(page).errors; };
  CHECK(errors("# TYPE a gauge\na 1") == Lines{"the page does not end with a line feed"});
  CHECK(errors("a 1\n") == Lines{"line 1: a: sample without a TYPE before it"});
  CHECK(errors("a 1\n# TYPE a gauge\n") ==
        Lines{"line 1: a: sample without a TYPE before it", "line 2: a: TYPE after its samples"});
  CHECK(errors("# TYPE a gauge\n# TYPE a gauge\na 1\n") == Lines{"line 2: a: TYPE given twice"});
  CHECK(errors("# TYPE a gauge\n# TYPE b gauge\na 1\n") ==
        Lines{"line 3: a: its lines are not one group"});
  CHECK(errors("# TYPE a meter\na 1\n") == Lines{"line 1: a: unknown type \"meter\""});
  CHECK(errors("# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n") ==
        Lines{"line 3: a{x=\"1\"}: series given twice"});
  CHECK(errors("# TYPE a gauge\na{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n") ==
        Lines{"line 3: a{x=\"1\",y=\"2\"}: series given twice"});
  CHECK(errors("# TYPE a gauge\na{x=\"\\t\"} 1\n") ==
        Lines{"line 2: a: invalid escape in label x"});
  CHECK(errors("# TYPE a gauge\na{x=\"1} 1\n") == Lines{"line 2: a: unterminated label value"});
  CHECK(errors("# TYPE a gauge\na{x=1} 1\n") == Lines{"line 2: a: malformed label"});
  CHECK(errors("# TYPE a gauge\na one\n") == Lines{"line 2: a: invalid value \"one\""});
  CHECK(errors("# TYPE a gauge\na 0x10\n") == Lines{"line 2: a: invalid value \"0x10\""});
  CHECK(errors("# TYPE a gauge\na\n") == Lines{"line 2: a: expected a space before the value"});
  CHECK(errors("# TYPE a_total counter\na_total -1\n") ==
        Lines{"line 2: a_total: a counter's value must be non-negative, got -1"});
  CHECK(errors("# TYPE a gauge\n-a 1\n") == Lines{"line 2: expected a metric name, got \"-a 1\""});
  // Valid: comments, blank lines, timestamps, a trailing comma in a label set.
  CHECK(errors("# a comment\n\n# HELP a x\n# TYPE a gauge\na{x=\"1\",} 1 1700000000000\n"
               "a -Inf\n")
            .empty());
}
