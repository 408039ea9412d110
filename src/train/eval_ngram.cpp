// The n-gram baseline for `continuo eval`: per-field interpolated bigrams, a trigram over kinds.
#include <cmath>

#include "continuo/eval.hpp"

namespace continuo::eval {
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

namespace {
constexpr int kKinds = static_cast<int>(tokenizer::Kind::kCount);
constexpr double kLambda = 0.8, kAlpha = 0.1;
int slot(int kind, int field) { return kind * kNumFields + field; }

// Walks the documents of a split, calling fn(kind, field, prev_value_or_-1, value) for every used
// field and kind_fn(k2, k1, k) for every event after BOS.
template <class FieldFn, class KindFn>
void walk(const train::Split& split, size_t max_docs, FieldFn fn, KindFn kind_fn) {
  tokenizer::Grammar g;
  size_t n = max_docs ? std::min(max_docs, split.size()) : split.size();
  for (size_t d = 0; d < n; ++d) {
    std::vector<std::array<int, kNumFields>> last(kKinds);
    for (auto& l : last) l.fill(-1);
    int k2 = 0, k1 = 0;
    for (int64_t i = split.docs[d]; i < split.docs[d + 1]; ++i) {
      const auto& r = split.rows[i];
      int k = r[0];
      if (i > split.docs[d]) {
        kind_fn(k2, k1, k);
        for (int f = 1; f < kNumFields; ++f)
          if (g.fields_used(tokenizer::Kind(k), tokenizer::Field(f))) fn(k, f, last[k][f], int(r[f]));
      }
      for (int f = 1; f < kNumFields; ++f) last[k][f] = r[f];
      k2 = k1;
      k1 = k;
    }
  }
}
}  // namespace

NgramModel NgramModel::fit(const train::Split& train) {
  NgramModel m;
  m.bigram_.resize(kKinds * kNumFields);
  m.unigram_.resize(kKinds * kNumFields);
  m.kind_tri_.assign(kKinds * kKinds * kKinds, 0.0);
  walk(train, 0,
       [&](int k, int f, int prev, int v) {
         auto& uni = m.unigram_[slot(k, f)];
         if (uni.empty()) uni.assign(kFieldSizes[f] + 1, 0.0);   // last entry: total
         uni[v] += 1;
         uni.back() += 1;
         if (prev < 0) return;
         auto& bi = m.bigram_[slot(k, f)];
         if (bi.empty()) bi.resize(kFieldSizes[f]);
         auto& row = bi[prev];
         if (row.empty()) row.assign(kFieldSizes[f] + 1, 0.0);
         row[v] += 1;
         row.back() += 1;
       },
       [&](int k2, int k1, int k) { m.kind_tri_[(k2 * kKinds + k1) * kKinds + k] += 1; });
  return m;
}

double NgramModel::field_logprob(int kind, int field, int prev, int value) const {
  const int V = kFieldSizes[field];
  const auto& uni = unigram_[slot(kind, field)];
  double p_uni = uni.empty() ? 1.0 / V : (uni[value] + 1.0) / (uni.back() + V);
  double p = p_uni;
  const auto& bi = bigram_[slot(kind, field)];
  if (prev >= 0 && !bi.empty() && !bi[prev].empty()) {
    const auto& row = bi[prev];
    p = kLambda * (row[value] + kAlpha) / (row.back() + kAlpha * V) + (1 - kLambda) * p_uni;
  }
  return std::log(p);
}

NllResult NgramModel::nll(const train::Split& split, size_t max_docs) const {
  NllResult r;
  // kind: interpolated trigram / bigram / unigram (marginals of the trigram counts)
  std::vector<double> bi(kKinds * kKinds, 0.0), uni(kKinds, 0.0), ctx2(kKinds * kKinds, 0.0), ctx1(kKinds, 0.0);
  double total = 0;
  for (int a = 0; a < kKinds; ++a)
    for (int b = 0; b < kKinds; ++b)
      for (int c = 0; c < kKinds; ++c) {
        double n = kind_tri_[(a * kKinds + b) * kKinds + c];
        ctx2[a * kKinds + b] += n;
        bi[b * kKinds + c] += n;
        ctx1[b] += n;
        uni[c] += n;
        total += n;
      }
  walk(split, max_docs,
       [&](int k, int f, int prev, int v) {
         const double lp = field_logprob(k, f, prev, v);
         r.nats -= lp;
         if (k == int(tokenizer::Kind::kNote) && f == int(tokenizer::Field::kValue)) r.pitch_nats -= lp;
       },
       [&](int k2, int k1, int k) {
         double p1 = (uni[k] + 1) / (total + kKinds);
         double p2 = (bi[k1 * kKinds + k] + kAlpha) / (ctx1[k1] + kAlpha * kKinds);
         double p3 = (kind_tri_[(k2 * kKinds + k1) * kKinds + k] + kAlpha) / (ctx2[k2 * kKinds + k1] + kAlpha * kKinds);
         r.nats -= std::log(0.6 * p3 + 0.3 * p2 + 0.1 * p1);
         ++r.events;
         r.notes += k == int(tokenizer::Kind::kNote);
       });
  return r;
}

}  // namespace continuo::eval
