// engine/session.cpp: the forward pass over rows of events with per-sequence KV caches.
// The math is that of src/model/transformer.cpp (tested against it in tests/engine).
#include <cmath>
#include <cstring>
#include <string>

#include "continuo/error.hpp"
#include "engine/internal.hpp"
#include "engine/ops.hpp"
#include "engine/thread_pool.hpp"

namespace continuo::engine {
using tokenizer::kFieldSizes;
using tokenizer::kNumFields;

void check_event(const tokenizer::Event& e, const tokenizer::Position& p) {
  for (int f = 0; f < kNumFields; ++f)
    if (e.f[f] >= kFieldSizes[f])
      throw Error(ErrorCode::kInvalidArgument, "event field " + std::to_string(f) + " value " + std::to_string(e.f[f]) +
                                                   " is out of range (" + tokenizer::Tokenizer::describe(e) + ")");
  if (p.beat_pos >= tokenizer::kBeatPosSize || p.bar_pos >= tokenizer::kBarPosSize)
    throw Error(ErrorCode::kInvalidArgument, "position features out of range");
}

Session::Impl::Impl(const Model::Impl& model, int b) : m(&model), batch(b) {
  if (b < 1) throw Error(ErrorCode::kInvalidArgument, "a session needs at least one sequence");
  len.assign(size_t(b), 0);
  pitch.assign(size_t(b), {});
  const size_t n = size_t(m->cfg.n_layers) * size_t(b) * size_t(m->cfg.max_len) * size_t(m->d);
  k_cache.reset(new float[n]);   // left uninitialised: pages are touched only as the context grows
  v_cache.reset(new float[n]);
  hidden.assign(size_t(b) * size_t(m->d), 0.0f);
}

void Session::Impl::copy_seq(int from, int to) {
  if (from == to) return;
  const int64_t n = int64_t(len[from]) * m->dh;
  for (int l = 0; l < m->cfg.n_layers; ++l)
    for (int h = 0; h < m->n_heads; ++h) {
      std::memcpy(k_at(l, to, h), k_at(l, from, h), sizeof(float) * size_t(n));
      std::memcpy(v_at(l, to, h), v_at(l, from, h), sizeof(float) * size_t(n));
    }
  std::memcpy(hidden.data() + int64_t(to) * m->d, hidden.data() + int64_t(from) * m->d, sizeof(float) * size_t(m->d));
  len[to] = len[from];
  pitch[size_t(to)] = pitch[size_t(from)];
}

void Session::Impl::forward(const std::vector<Row>& rows, std::vector<float>* all_hidden) {
  const int64_t R = int64_t(rows.size());
  if (R == 0) return;
  const int64_t d = m->d, H = m->n_heads, dh = m->dh, dff = m->cfg.d_ff, T = m->cfg.max_len;
  const kernels::Table& kern = *m->kern;

  // cache position of every row; check the events and that every sequence has room
  std::vector<int> t_of(static_cast<size_t>(R));
  std::vector<int> next(len);
  for (int64_t r = 0; r < R; ++r) {
    const Row& row = rows[size_t(r)];
    if (row.seq < 0 || row.seq >= batch) throw Error(ErrorCode::kInvalidArgument, "sequence index out of range");
    check_event(row.event, row.pos);
    if (next[size_t(row.seq)] >= T)
      throw Error(ErrorCode::kInvalidArgument, "the context of sequence " + std::to_string(row.seq) + " is full (" +
                                                   std::to_string(T) + " events)");
    t_of[size_t(r)] = next[size_t(row.seq)]++;
  }

  x.resize(size_t(R * d));
  xn.resize(size_t(R * d));
  qkv.resize(size_t(R * 3 * d));
  att.resize(size_t(R * d));
  ff.resize(size_t(R * 2 * dff));
  act.resize(size_t(R * dff));
  ThreadPool& pool = ThreadPool::global();
  scores.resize(size_t(pool.size()) * size_t(T));

  // x [R, d] = sum of the 6 field embeddings + beat / bar position embeddings
  for (int64_t r = 0; r < R; ++r) {
    const Row& row = rows[size_t(r)];
    float* xr = x.data() + r * d;
    const float* beat = m->embed_beat.data() + int64_t(row.pos.beat_pos) * d;
    const float* bar = m->embed_bar.data() + int64_t(row.pos.bar_pos) * d;
    for (int64_t i = 0; i < d; ++i) xr[i] = m->embed_fields[0][size_t(int64_t(row.event.f[0]) * d + i)];
    for (int f = 1; f < kNumFields; ++f) {
      const float* e = m->embed_fields[f].data() + int64_t(row.event.f[f]) * d;
      for (int64_t i = 0; i < d; ++i) xr[i] += e[i];
    }
    for (int64_t i = 0; i < d; ++i) xr[i] = (xr[i] + beat[i]) + bar[i];
  }
  // the pitch-class context after each row's event (rows of a sequence in order)
  row_pitch.resize(size_t(R));
  if (m->needs_pitch_context())
    for (int64_t r = 0; r < R; ++r) {
      auto& tr = pitch[size_t(rows[size_t(r)].seq)];
      row_pitch[size_t(r)] = {tr.next(rows[size_t(r)].event), tr.notes()};
    }
  // + W [d, 24] @ that context
  // xr [d] += W [d, C] @ c [C]
  auto add_input = [d](const std::vector<float>& W, const float* c, int64_t C, float* xr) {
    for (int64_t i = 0; i < d; ++i) {
      const float* w = W.data() + i * C;
      float s = 0;
      for (int64_t j = 0; j < C; ++j) s += w[j] * c[j];
      xr[i] += s;
    }
  };
  if (!m->embed_pitch_context.empty())
    for (int64_t r = 0; r < R; ++r)
      add_input(m->embed_pitch_context, row_pitch[size_t(r)].ctx.data(), tokenizer::kPitchContextSize, x.data() + r * d);

  // + W [d, 34] @ the known future
  if (!m->embed_future.empty())
    for (int64_t r = 0; r < R; ++r)
      if (rows[size_t(r)].has_future)
        add_input(m->embed_future, rows[size_t(r)].future.data(), tokenizer::kFutureContextSize, x.data() + r * d);

  const float scale = 1.0f / std::sqrt(float(dh));
  for (int l = 0; l < m->cfg.n_layers; ++l) {
    const LayerWeights& lw = m->layers[size_t(l)];
    // ---- attention
    for (int64_t r = 0; r < R; ++r) rmsnorm(x.data() + r * d, lw.attn_norm.data(), d, m->cfg.norm_eps, xn.data() + r * d);
    matmul(kern, xn.data(), R, lw.qkv, qkv.data());   // [R, 3d] = q | k | v
    for (int64_t r = 0; r < R; ++r) {
      const int t = t_of[size_t(r)];
      const float* c = m->rope_cos.data() + int64_t(t) * dh;   // [dh]
      const float* s = m->rope_sin.data() + int64_t(t) * dh;   // [dh]
      float* q = qkv.data() + r * 3 * d;   // [H, dh]
      float* k = q + d;                    // [H, dh]
      const float* v = k + d;              // [H, dh]
      for (int64_t h = 0; h < H; ++h) {
        for (float* p : {q + h * dh, k + h * dh}) {   // p [dh] = p * cos + rotate_half(p) * sin
          const int64_t half = dh / 2;
          for (int64_t i = 0; i < half; ++i) {
            const float a = p[i], b = p[i + half];
            p[i] = a * c[i] + (-b) * s[i];
            p[i + half] = b * c[i + half] + a * s[i + half];
          }
        }
        const int seq = rows[size_t(r)].seq;
        std::memcpy(k_at(l, seq, int(h)) + int64_t(t) * dh, k + h * dh, sizeof(float) * size_t(dh));
        std::memcpy(v_at(l, seq, int(h)) + int64_t(t) * dh, v + h * dh, sizeof(float) * size_t(dh));
      }
    }
    // att [R, d]: each (row, head) attends to its sequence's cache [0, t]
    const int64_t items = R * H;
    auto attend_items = [&](int64_t begin, int64_t end, float* sc) {
      for (int64_t it = begin; it < end; ++it) {
        const int64_t r = it / H, h = it % H;
        const int seq = rows[size_t(r)].seq;
        kern.attend(qkv.data() + r * 3 * d + h * dh, k_at(l, seq, int(h)), v_at(l, seq, int(h)), t_of[size_t(r)] + 1,
                    dh, dh, scale, sc, att.data() + r * d + h * dh);
      }
    };
    if (pool.size() == 1 || items < 2) {
      attend_items(0, items, scores.data());
    } else {
      // a few parts per thread; each thread has its own scores scratch
      const int parts = int(std::min<int64_t>(items, 4 * pool.size()));
      pool.run(parts, [&](int part, int thread) {
        const int64_t chunk = (items + parts - 1) / parts;
        const int64_t begin = std::min(items, chunk * part), end = std::min(items, begin + chunk);
        attend_items(begin, end, scores.data() + int64_t(thread) * T);
      });
    }
    matmul(kern, att.data(), R, lw.o, xn.data());   // [R, d]
    for (int64_t i = 0; i < R * d; ++i) x[size_t(i)] += xn[size_t(i)];

    // ---- SwiGLU MLP
    for (int64_t r = 0; r < R; ++r) rmsnorm(x.data() + r * d, lw.mlp_norm.data(), d, m->cfg.norm_eps, xn.data() + r * d);
    matmul(kern, xn.data(), R, lw.gate_up, ff.data());   // [R, 2 d_ff] = gate | up
    for (int64_t r = 0; r < R; ++r) {
      const float* g = ff.data() + r * 2 * dff;   // [d_ff]
      const float* u = g + dff;                   // [d_ff]
      float* a = act.data() + r * dff;            // [d_ff]
      for (int64_t i = 0; i < dff; ++i) a[i] = silu(g[i]) * u[i];
    }
    matmul(kern, act.data(), R, lw.down, xn.data());   // [R, d]
    for (int64_t i = 0; i < R * d; ++i) x[size_t(i)] += xn[size_t(i)];
  }

  // final norm: every row if asked, else the last row of each sequence
  if (all_hidden) all_hidden->resize(size_t(R * d));
  std::vector<int64_t> last(size_t(batch), -1);
  for (int64_t r = 0; r < R; ++r) last[size_t(rows[size_t(r)].seq)] = r;
  for (int64_t r = 0; r < R; ++r) {
    const int seq = rows[size_t(r)].seq;
    if (all_hidden) rmsnorm(x.data() + r * d, m->final_norm.data(), d, m->cfg.norm_eps, all_hidden->data() + r * d);
    if (last[size_t(seq)] == r)
      rmsnorm(x.data() + r * d, m->final_norm.data(), d, m->cfg.norm_eps, hidden.data() + int64_t(seq) * d);
  }
  len = next;
}

// ---- the public Session ------------------------------------------------------------------------

Session::Session(const Model& m, int batch) : impl_(std::make_unique<Impl>(m.impl(), batch)) {}
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
int Session::batch() const { return impl_->batch; }
int Session::length() const { return impl_->len[0]; }
void Session::reset() {
  for (int b = 0; b < impl_->batch; ++b) impl_->reset_seq(b);
}

bool Session::step(const std::vector<tokenizer::Event>& events, const std::vector<tokenizer::Position>& pos) {
  if (int(events.size()) != impl_->batch || pos.size() != events.size())
    throw Error(ErrorCode::kInvalidArgument, "step needs one event and one position per sequence");
  for (int n : impl_->len)
    if (n >= impl_->m->cfg.max_len) return false;
  std::vector<Row> rows(events.size());
  for (size_t b = 0; b < events.size(); ++b) rows[b] = {int(b), events[b], pos[b]};
  impl_->forward(rows);
  return true;
}

void Session::prefill(const std::vector<tokenizer::Event>& events, const std::vector<tokenizer::Position>& pos) {
  if (pos.size() != events.size()) throw Error(ErrorCode::kInvalidArgument, "prefill needs one position per event");
  if (int64_t(events.size()) > impl_->m->cfg.max_len)
    throw Error(ErrorCode::kInvalidArgument, "the prompt (" + std::to_string(events.size()) +
                                                 " events) is longer than the model's context (" +
                                                 std::to_string(impl_->m->cfg.max_len) + ")");
  reset();
  std::vector<Row> rows(events.size());
  for (size_t i = 0; i < events.size(); ++i) rows[i] = {0, events[i], pos[i]};
  impl_->forward(rows);
  for (int b = 1; b < impl_->batch; ++b) impl_->copy_seq(0, b);
}

std::vector<float> Session::field_logits(int b, tokenizer::Field field, const tokenizer::Event& partial) {
  const int f = static_cast<int>(field);
  if (b < 0 || b >= impl_->batch || f < 0 || f >= kNumFields)
    throw Error(ErrorCode::kInvalidArgument, "field_logits: sequence or field out of range");
  if (impl_->len[size_t(b)] == 0) throw Error(ErrorCode::kInvalidArgument, "field_logits before any event was fed");
  for (int g = 0; g < f; ++g)
    if (partial.f[g] >= kFieldSizes[g]) throw Error(ErrorCode::kInvalidArgument, "field_logits: partial event out of range");
  std::vector<float> out(static_cast<size_t>(kFieldSizes[f]));
  impl_->m->head_logits(f, impl_->hidden.data() + int64_t(b) * impl_->m->d, &partial, 1, out.data(),
                        impl_->heads_scratch);
  if (field == tokenizer::Field::kValue && partial.kind() == tokenizer::Kind::kNote &&
      !impl_->pitch[size_t(b)].is_drum(partial[tokenizer::Field::kTrack]))
    impl_->m->add_key_prior(impl_->pitch[size_t(b)], out.data());
  return out;
}

}  // namespace continuo::engine
