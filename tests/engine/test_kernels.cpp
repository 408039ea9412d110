// Every kernel table the CPU supports against the naive reference (normalised mean squared error,
// as ggml's test-backend-ops), on odd sizes and sub-ranges.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels.hpp"

namespace continuo::engine {
namespace {

std::vector<float> random_vec(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

// sum (a - b)^2 / sum b^2
double nmse(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return den > 0 ? num / den : num;
}

std::vector<const kernels::Table*> fast_tables() {
  std::vector<const kernels::Table*> t;
  if (kernels::avx2()) t.push_back(kernels::avx2());
  if (kernels::avx512()) t.push_back(kernels::avx512());
  return t;
}

class Kernels : public ::testing::TestWithParam<std::string> {
 protected:
  const kernels::Table* table() {
    if (GetParam() == "avx2") return kernels::avx2();
    if (GetParam() == "avx512") return kernels::avx512();
    return &kernels::naive();
  }
};

TEST_P(Kernels, MatmulMatchesNaive) {
  const kernels::Table* k = table();
  if (!k) GTEST_SKIP() << GetParam() << " is not supported by this CPU";
  const kernels::Table& ref = kernels::naive();
  int cases = 0;
  for (int64_t m : {1, 2, 3, 4, 5, 7, 9, 66, 131})
    for (int64_t kk : {1, 7, 8, 15, 16, 17, 33, 100, 384})
      for (int64_t n : {1, 3, 8, 13, 37}) {
        const int64_t ldx = kk + 3, ldy = n + 2;
        auto x = random_vec(size_t(m * ldx), uint64_t(m * 1000 + kk));
        auto w = random_vec(size_t(n * kk), uint64_t(n * 7 + kk));
        std::vector<uint16_t> wb(w.size());
        for (size_t i = 0; i < w.size(); ++i) wb[i] = to_bf16(w[i]);
        for (auto [n0, n1] : {std::pair<int64_t, int64_t>{0, n}, {n / 3, n - n / 4}}) {
          if (n0 >= n1) continue;
          std::vector<float> y(size_t(m * ldy), 7.0f), y_ref(y);
          k->matmul_f32(x.data(), ldx, m, kk, w.data(), n0, n1, y.data(), ldy);
          ref.matmul_f32(x.data(), ldx, m, kk, w.data(), n0, n1, y_ref.data(), ldy);
          ASSERT_LT(nmse(y, y_ref), 1e-10) << "f32 m=" << m << " k=" << kk << " n=" << n << " [" << n0 << "," << n1 << ")";
          std::vector<float> yb(size_t(m * ldy), 7.0f), yb_ref(yb);
          k->matmul_bf16(x.data(), ldx, m, kk, wb.data(), n0, n1, yb.data(), ldy);
          ref.matmul_bf16(x.data(), ldx, m, kk, wb.data(), n0, n1, yb_ref.data(), ldy);
          ASSERT_LT(nmse(yb, yb_ref), 1e-10) << "bf16 m=" << m << " k=" << kk << " n=" << n;
          // outside [n0, n1) and the row padding stay untouched
          for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < ldy; ++j)
              if (j < n0 || j >= n1) {
                ASSERT_EQ(y[size_t(i * ldy + j)], 7.0f);
              }
          ++cases;
        }
      }
  EXPECT_GT(cases, 500);
}

// A row's result must not depend on the batch (or column range) it was computed in: this is what
// makes the same seed give the same variations at any batch size.
TEST_P(Kernels, MatmulRowsIndependentOfBatch) {
  const kernels::Table* k = table();
  if (!k) GTEST_SKIP() << GetParam() << " is not supported by this CPU";
  const int64_t kk = 100, n = 45;
  for (int64_t m : {2, 3, 4, 5, 8, 70}) {
    auto x = random_vec(size_t(m * kk), 11 + uint64_t(m));
    auto w = random_vec(size_t(n * kk), 12);
    std::vector<float> y(size_t(m * n));
    k->matmul_f32(x.data(), kk, m, kk, w.data(), 0, n, y.data(), n);
    for (int64_t i = 0; i < m; ++i) {
      std::vector<float> row(static_cast<size_t>(n));
      k->matmul_f32(x.data() + i * kk, kk, 1, kk, w.data(), 0, 20, row.data(), n);
      k->matmul_f32(x.data() + i * kk, kk, 1, kk, w.data(), 20, n, row.data(), n);
      for (int64_t j = 0; j < n; ++j) ASSERT_EQ(row[size_t(j)], y[size_t(i * n + j)]) << "m=" << m << " row " << i;
    }
  }
}

TEST_P(Kernels, AttendMatchesNaive) {
  const kernels::Table* k = table();
  if (!k) GTEST_SKIP() << GetParam() << " is not supported by this CPU";
  const kernels::Table& ref = kernels::naive();
  for (int64_t n : {1, 2, 3, 5, 8, 17, 100, 257})
    for (int64_t dh : {2, 6, 8, 16, 30, 48, 64, 130}) {
      const int64_t ld = dh + 5;
      auto q = random_vec(size_t(dh), uint64_t(n + dh), 2.0f);
      auto kc = random_vec(size_t(n * ld), uint64_t(n * 3 + dh), 2.0f);
      auto vc = random_vec(size_t(n * ld), uint64_t(n * 5 + dh));
      std::vector<float> scores(static_cast<size_t>(n)), out(static_cast<size_t>(dh)), out_ref(out);
      const float scale = 1.0f / std::sqrt(float(dh));
      k->attend(q.data(), kc.data(), vc.data(), n, dh, ld, scale, scores.data(), out.data());
      ref.attend(q.data(), kc.data(), vc.data(), n, dh, ld, scale, scores.data(), out_ref.data());
      ASSERT_LT(nmse(out, out_ref), 1e-10) << "n=" << n << " dh=" << dh;
    }
}

// Large score differences: exp underflow must give ~0 weights, not NaN.
TEST_P(Kernels, AttendExtremeScores) {
  const kernels::Table* k = table();
  if (!k) GTEST_SKIP() << GetParam() << " is not supported by this CPU";
  const int64_t n = 20, dh = 8;
  std::vector<float> q(dh, 0.0f), kc(n * dh, 0.0f), vc(n * dh);
  q[0] = 1.0f;
  for (int64_t t = 0; t < n; ++t) {
    kc[size_t(t * dh)] = t == 13 ? 500.0f : -500.0f;
    for (int64_t c = 0; c < dh; ++c) vc[size_t(t * dh + c)] = float(t);
  }
  std::vector<float> scores(n), out(dh);
  k->attend(q.data(), kc.data(), vc.data(), n, dh, dh, 1.0f, scores.data(), out.data());
  for (float o : out) EXPECT_NEAR(o, 13.0f, 1e-4f);
}

INSTANTIATE_TEST_SUITE_P(All, Kernels, ::testing::Values("naive", "avx2", "avx512"),
                         [](const auto& info) { return info.param; });

TEST(KernelDispatch, BestIsTheFastestSupported) {
  const char* name = kernels::best().name;
  if (std::getenv("CONTINUO_KERNELS")) GTEST_SKIP() << "CONTINUO_KERNELS forces a table";
  if (kernels::avx512()) EXPECT_STREQ(name, "avx512");
  else if (kernels::avx2()) EXPECT_STREQ(name, "avx2");
  else EXPECT_STREQ(name, "naive");
  EXPECT_FALSE(fast_tables().empty() && std::string(name) != "naive");
}

}  // namespace
}  // namespace continuo::engine
