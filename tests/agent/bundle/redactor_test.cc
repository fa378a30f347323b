#include "agent/bundle/redactor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "agent/bundle/source_output.h"
#include "tests/support/files.h"

namespace guts::bundle {
namespace {

using ::guts::testing::ReadFileOrEmpty;

std::string Redact(const std::string& text, uint64_t* count) {
  SourceOutput out(1 << 20, true);
  out.Write(text);
  out.Finish();
  std::string result(out.bytes(), '\0');
  EXPECT_EQ(std::fread(result.data(), 1, result.size(), out.file()), result.size());
  *count = out.redactions();
  return result;
}

struct Corpus {
  std::vector<std::string> secrets;
  std::vector<std::pair<std::string, uint64_t>> counts;
};

Corpus LoadCorpus() {
  Corpus c;
  for (absl::string_view line : absl::StrSplit(
           ReadFileOrEmpty(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/expected.txt"), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    if (absl::StartsWith(line, "count ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      c.counts.emplace_back(parts[1], std::stoull(parts[2]));
      continue;
    }
    c.secrets.emplace_back(line);
  }
  return c;
}

TEST(SecretsCorpus, EverySecretIsRedactedAndCountedPerFile) {
  const Corpus corpus = LoadCorpus();
  ASSERT_GT(corpus.secrets.size(), 20u);
  ASSERT_EQ(corpus.counts.size(), 4u);
  for (const auto& [file, least] : corpus.counts) {
    const std::string original = ReadFileOrEmpty(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/" + file);
    uint64_t count = 0;
    const std::string redacted = Redact(original, &count);
    for (const std::string& secret : corpus.secrets) {
      EXPECT_FALSE(absl::StrContains(redacted, secret))
          << file << " still holds " << secret << " in:\n"
          << redacted;
    }
    EXPECT_GE(count, least) << file << ":\n" << redacted;
    EXPECT_TRUE(absl::StrContains(redacted, std::string(kRedacted))) << file;
  }
}

TEST(SecretsCorpus, PublicValuesSurvive) {
  for (const std::string file : {"config.yaml", "config.json"}) {
    uint64_t count = 0;
    const std::string original = ReadFileOrEmpty(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/" + file);
    const std::string redacted = Redact(original, &count);
    for (absl::string_view keep : absl::StrSplit(
             ReadFileOrEmpty(std::string(GUTS_BUNDLE_SECRETS_DIR) + "/keep.txt"), '\n')) {
      if (keep.empty() || keep[0] == '#' || !absl::StrContains(original, keep)) continue;
      EXPECT_TRUE(absl::StrContains(redacted, keep)) << file << " lost " << keep;
    }
  }
}

TEST(Redactor, PemBlockAcrossLinesBecomesOneMarker) {
  Redactor r;
  bool drop = false;
  EXPECT_EQ(r.RedactLine("-----BEGIN EC PRIVATE KEY-----", &drop), "[REDACTED]");
  EXPECT_FALSE(drop);
  EXPECT_EQ(r.RedactLine("MHcCAQEEIAbc", &drop), "");
  EXPECT_TRUE(drop);
  EXPECT_EQ(r.RedactLine("-----END EC PRIVATE KEY-----", &drop), "[REDACTED]");
  EXPECT_EQ(r.RedactLine("after", &drop), "after");
  EXPECT_EQ(r.redactions(), 1u);
}

TEST(Redactor, PublicCertificateIsKept) {
  Redactor r;
  EXPECT_EQ(r.RedactLine("-----BEGIN CERTIFICATE-----"), "-----BEGIN CERTIFICATE-----");
  EXPECT_EQ(r.redactions(), 0u);
}

TEST(Redactor, HexAfterPubkeyIsKeptButAfterKeyIsRemoved) {
  const std::string hex(64, 'a');
  Redactor r;
  EXPECT_EQ(r.RedactLine("pubkey: " + hex), "pubkey: " + hex);
  EXPECT_EQ(r.RedactLine("node_key: " + hex), "node_key: [REDACTED]");
  EXPECT_EQ(r.redactions(), 1u);
}

TEST(Redactor, PlainLogLinesAreUntouched) {
  Redactor r;
  const std::string line =
      R"({"timestamp":"2026-11-30T01:00:00Z","level":"INFO","fields":{"message":"processed finalized block","height":42}})";
  EXPECT_EQ(r.RedactLine(line), line);
  EXPECT_EQ(r.redactions(), 0u);
}

}  // namespace
}  // namespace guts::bundle
