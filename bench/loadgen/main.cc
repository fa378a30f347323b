// guts-loadgen: M simulated agents against a running guts-collector, open-loop paced, reporting
// ingest rate, ack latency, the collector's CPU per snapshot and RSS, and bytes on disk per
// snapshot after compaction. See bench/run-loadgen.sh.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/loadgen/realistic_snapshot.h"
#include "bench/loadgen/sim_agent.h"
#include "common/aligned_time.h"
#include "common/mutex_checks.h"
#include "grpcpp/generic/generic_stub.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace {

using guts::bench::SimAgent;

// utime + stime of `pid` in seconds, from /proc/<pid>/stat.
double CpuSeconds(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(paren + 2), ' ');
  if (fields.size() < 13) return 0;
  double ticks = 0, t = 0;
  // Fields after "(comm)": state is index 0, utime index 11, stime index 12.
  if (absl::SimpleAtod(fields[11], &t)) ticks += t;
  if (absl::SimpleAtod(fields[12], &t)) ticks += t;
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS of `pid` in bytes.
uint64_t RssBytes(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      uint64_t kb = 0;
      std::istringstream(line.substr(6)) >> kb;
      return kb * 1024;
    }
  }
  return 0;
}

// A gauge or counter value from Prometheus text, or -1.
double MetricValue(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(name.size() + 1), &v)) return v;
    }
  }
  return -1;
}

double Percentile(std::vector<float>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  // gRPC's locks are Abseil mutexes, and Debian's Abseil checks every lock for deadlocks (see
  // common/mutex_checks.h): ~4 % of the generator's CPU, which shares the cores it measures.
  guts::SkipMutexDeadlockDetection();
  CLI::App app("guts-loadgen: simulated agents against a guts-collector");
  std::string collector = "127.0.0.1:7400", collector_http;
  int collector_pid = 0, agents = 100, channels = 16, variants = 0;
  double rate = 1000, duration_s = 20, warmup_s = 5;
  bool compact = false, aligned = false, consistent_fleet = false;
  std::string prefix = "sim";
  app.add_option("--collector", collector, "Collector gRPC address");
  app.add_option("--collector-http", collector_http,
                 "Collector HTTP address (figures, compaction)");
  app.add_option("--collector-pid", collector_pid, "Collector pid (CPU and RSS)");
  app.add_option("--agents", agents, "Simulated agents (one stream each)");
  app.add_option("--rate", rate, "Snapshots per second, all agents together (open loop)");
  app.add_option("--duration", duration_s, "Measured seconds");
  app.add_option("--warmup", warmup_s, "Seconds before measuring");
  app.add_option("--channels", channels, "TCP connections the streams are spread over");
  app.add_option("--node-prefix", prefix, "Node ids are <prefix><i>");
  app.add_option("--variants", variants,
                 "Snapshots made up front per agent and sent in turn (0: a fresh one per send)");
  app.add_flag("--compact", compact, "Compact the store afterwards and report bytes/snapshot");
  app.add_flag("--aligned", aligned,
               "Every agent's snapshot due at the same instants, the whole multiples of "
               "agents/rate seconds on the Unix clock, as real agents take them "
               "(common/aligned_time.h); without it the sends are spread evenly");
  app.add_flag("--consistent-fleet", consistent_fleet,
               "The agents form one network: each announces its own P2P address and reports "
               "links to 20 other agents that report it back (a ring). Without it every agent "
               "announces the same address and its peers match no agent, so the collector's "
               "analysis sees every node cut off (LOW_PEERS everywhere, no quorum)");
  CLI11_PARSE(app, argc, argv);

  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("guts.loadgen.connection", c);  // distinct args: a distinct connection
    stubs.push_back(std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(collector, grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<std::unique_ptr<SimAgent>> sims;
  for (int i = 0; i < agents; ++i) {
    sims.push_back(std::make_unique<SimAgent>(stubs[i % channels].get(), absl::StrCat(prefix, i), i,
                                              variants, consistent_fleet ? agents : 0));
  }

  // The pacer: snapshot k of the whole fleet is due at start + k / rate, round robin; or, with
  // --aligned, the whole fleet's next round is due at once on each point of the agents' grid.
  absl::Time start = absl::Now();
  const absl::Duration period = absl::Seconds(static_cast<double>(agents) / rate);
  absl::Time next_round = guts::NextAlignedTime(start, period, absl::ZeroDuration());
  absl::Time measure_from = start + absl::Seconds(warmup_s);
  absl::Time measure_to = measure_from + absl::Seconds(duration_s);
  for (auto& s : sims) s->MeasureWindow(measure_from, measure_to);
  uint64_t scheduled = 0;
  // --aligned: one pacer thread per channel starts its agents' writes at each round. A single
  // pacer started a round's writes one after another (about 300 ms for the last of 5 000
  // agents, all counted as the collector's latency); per channel the writes of different
  // connections start together and no two pacers share a connection.
  std::vector<std::thread> pacers;
  std::atomic<bool> pacing{true};
  if (aligned) {
    for (int c = 0; c < std::min(channels, agents); ++c) {
      pacers.emplace_back([&, c] {
        absl::Time round = next_round;
        while (pacing.load()) {
          absl::Time now = absl::Now();
          if (now < round) {
            absl::SleepFor(std::min(round - now, absl::Milliseconds(50)));
            continue;
          }
          if (round >= measure_to) return;  // as the single pacer did: no round after it
          for (; round <= now && round < measure_to; round += period) {
            for (size_t i = static_cast<size_t>(c); i < sims.size();
                 i += static_cast<size_t>(channels)) {
              sims[i]->Due(round);
            }
          }
        }
      });
    }
  }
  bool measuring = false;
  double cpu0 = 0;
  double gen_cpu0 = 0;  // the generator's own CPU: it shares the machine with the collector
  uint64_t max_rss = 0;
  absl::Time next_rss = start;
  while (true) {
    absl::Time now = absl::Now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      if (collector_pid > 0) cpu0 = CpuSeconds(collector_pid);
      gen_cpu0 = CpuSeconds(getpid());
    }
    if (!aligned) {
      // Up to the window's end at most, and before leaving the loop: a wake-up late past the
      // end (a busy machine) must still send the window's last snapshots, or the window would
      // hold fewer than rate x duration without any being counted unacked.
      const absl::Time upto = std::min(now, measure_to);
      const uint64_t due = static_cast<uint64_t>(absl::ToDoubleSeconds(upto - start) * rate);
      for (; scheduled < due; ++scheduled) {
        sims[scheduled % sims.size()]->Due(start + absl::Seconds(scheduled / rate));
      }
    }
    if (now >= measure_to) break;
    if (collector_pid > 0 && now >= next_rss) {
      max_rss = std::max(max_rss, RssBytes(collector_pid));
      next_rss = now + absl::Seconds(1);
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  double cpu = collector_pid > 0 ? CpuSeconds(collector_pid) - cpu0 : 0;
  double gen_cpu = CpuSeconds(getpid()) - gen_cpu0;
  pacing = false;
  for (std::thread& t : pacers) t.join();
  // The window's last snapshots are acked after it: wait for them (the CPU figures above are
  // the window's), up to a grace beyond which an unacked snapshot counts as not acked.
  const absl::Time grace_end = absl::Now() + absl::Seconds(5);
  auto waiting = [&sims] {
    for (auto& s : sims) {
      if (s->unacked_in_window() > 0) return true;
    }
    return false;
  };
  while (absl::Now() < grace_end && waiting()) absl::SleepFor(absl::Milliseconds(10));
  uint64_t acked = 0;
  std::vector<float> latencies, send_delays, from_send;
  int broken = 0;
  auto append = [](std::vector<float>* to, std::vector<float> from) {
    to->insert(to->end(), from.begin(), from.end());
  };
  for (auto& s : sims) {
    acked += s->acked_measured();
    append(&latencies, s->TakeLatencies());
    append(&send_delays, s->TakeSendDelays());
    append(&from_send, s->TakeLatenciesFromSend());
    broken += s->done();
  }
  for (auto& s : sims) s->Cancel();
  std::string first_error;
  for (auto& s : sims) {
    grpc::Status st = s->Await();
    if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED && first_error.empty()) {
      first_error = absl::StrCat(st.error_code(), ": ", st.error_message());
    }
  }

  nlohmann::json report;
  report["agents"] = agents;
  report["snapshot_bytes"] =
      guts::bench::RealisticSnapshot("sim0", 0, 0).Next(1000, absl::Now()).ByteSizeLong();
  report["offered_per_s"] = rate;
  report["aligned"] = aligned;
  report["consistent_fleet"] = consistent_fleet;
  report["acked_per_s"] = static_cast<double>(acked) / duration_s;
  report["ack_p50_ms"] = Percentile(latencies, 0.5);
  report["ack_p99_ms"] = Percentile(latencies, 0.99);
  // The generator's own part of those: how late it started the writes (its pacer threads
  // share the machine with the collector), and the acks' latency counted from each write's
  // start.
  report["send_delay_p99_ms"] = Percentile(send_delays, 0.99);
  report["ack_from_send_p99_ms"] = Percentile(from_send, 0.99);
  report["streams_ended_early"] = broken;
  report["loadgen_cpu_us_per_snapshot"] = acked ? gen_cpu * 1e6 / static_cast<double>(acked) : 0;
  report["loadgen_cpu_cores"] = gen_cpu / duration_s;
  report["first_error"] = first_error;
  if (collector_pid > 0) {
    report["collector_cpu_us_per_snapshot"] = acked ? cpu * 1e6 / static_cast<double>(acked) : 0;
    report["collector_cpu_cores"] = cpu / duration_s;
    report["collector_max_rss_mib"] = static_cast<double>(max_rss) / (1 << 20);
  }
  if (!collector_http.empty()) {
    httplib::Client http("http://" + collector_http);
    http.set_read_timeout(600, 0);
    if (compact) {
      auto r = http.Post("/admin/compact");
      if (!r || r->status != 200) std::cerr << "compaction request failed\n";
    }
    auto m = http.Get("/metrics");
    if (m && m->status == 200) {
      double sst = MetricValue(m->body, "guts_collector_store_snapshots_sst_bytes");
      double stored = MetricValue(m->body, "guts_collector_snapshots_stored_total");
      report["snapshots_stored"] = stored;
      report["snapshots_sst_bytes"] = sst;
      if (stored > 0) report["disk_bytes_per_snapshot"] = sst / stored;
    }
  }
  std::cout << report.dump() << std::endl;
  return 0;
}
