// continuo/train.hpp: corpus -> token shards, training, evaluation.
//
//   using namespace continuo;
//   train::DatasetOptions d; d.inputs = {"~/midi"}; d.out_dir = "data/mine";
//   train::DatasetStats st = train::build_dataset(d, progress);     // shards + stats.json
//   train::TrainConfig tc = train::load_train_config("configs/default.json");
//   train::train(tc, log);                                         // resumes from out_dir/checkpoint
//
// Shards (numpy-readable): <dir>/{train,valid}.events.npy  uint16 [N, 8] = 6 event fields +
// beat_pos + bar_pos; <dir>/{train,valid}.docs.npy int64 [D + 1] document offsets;
// <dir>/{train,valid}.files.txt source file of each document; <dir>/stats.json.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "continuo/model.hpp"
#include "continuo/tokenizer.hpp"

namespace continuo::train {

inline constexpr int kShardColumns = 8;
using Row = std::array<uint16_t, kShardColumns>;

struct DatasetOptions {
  std::vector<std::string> inputs;     // folders (searched recursively) or single files
  std::string out_dir;
  int valid_permille = 30;             // share of pieces (not files) held out for validation
  int threads = 0;                     // 0 = hardware concurrency
  int min_notes = 24;                  // quality filter
  int max_events = 100000;
  bool controls = true;
  std::string name;                    // recorded in stats.json
};

struct DatasetStats {
  size_t files = 0, parsed = 0, failed = 0, filtered = 0, duplicates = 0;
  std::map<std::string, size_t> failures;   // reason -> count
  std::map<std::string, size_t> filters;    // reason -> count
  size_t docs[2] = {0, 0};                  // train, valid
  size_t events[2] = {0, 0};
  size_t notes[2] = {0, 0};
  double seconds = 0;
  std::string to_json() const;
};

using ProgressFn = std::function<bool(double fraction, const std::string& detail)>;

// The piece a file belongs to (versions of one song share it): see docs/TOKENS.md.
std::string piece_key(const std::string& path);
DatasetStats build_dataset(const DatasetOptions& opt, const ProgressFn& progress = {});

// A split loaded into memory.
struct Split {
  std::vector<Row> rows;
  std::vector<int64_t> docs;        // offsets, size D + 1
  std::vector<std::string> files;
  size_t size() const { return docs.empty() ? 0 : docs.size() - 1; }
  std::vector<tokenizer::Event> events(size_t doc) const;
  std::vector<tokenizer::Position> positions(size_t doc) const;
};
Split load_split(const std::string& dir, const std::string& split);   // "train" or "valid"

// numpy .npy I/O (little-endian, C order) used by the shards.
void write_npy_u16(const std::string& path, const std::vector<uint16_t>& data, const std::vector<int64_t>& shape);
void write_npy_i64(const std::string& path, const std::vector<int64_t>& data);
std::vector<uint16_t> read_npy_u16(const std::string& path, std::vector<int64_t>* shape);
std::vector<int64_t> read_npy_i64(const std::string& path);

struct Augment {
  int transpose = 5;          // uniform semitones in [-transpose, transpose]
  int tempo_bins = 3;         // tempo bin shift in [-tempo_bins, tempo_bins]
  double velocity = 0.15;     // velocity scale in [1 - velocity, 1 + velocity]
};

struct TrainConfig {
  std::string data_dir, out_dir;
  model::Config model;
  int64_t steps = 10000;
  int batch = 16;
  int seq_len = 512;
  double lr = 1e-3, min_lr = 1e-4, warmup = 200, weight_decay = 0.1, grad_clip = 1.0;
  double beta1 = 0.9, beta2 = 0.95;
  int eval_every = 250, eval_batches = 16;
  double checkpoint_seconds = 180;
  uint64_t seed = 1;
  int threads = 2;
  bool bf16 = true;
  Augment augment;
  double max_minutes = 0;     // stop (with a checkpoint) after this long; 0 = no limit
  std::string weights_dtype = "bf16";   // of the exported model.safetensors
  // Fine-tuning: start from this model's weights (a name or a folder, like --model) instead of
  // random ones. Tensors the new config has and that model lacks (e.g. heads.key_prior) keep
  // their initial values; every other tensor must match in shape.
  std::string init_from;
  // Train only the tensors whose names start with one of these (empty: all).
  std::vector<std::string> train_only;
  // Learning-rate multipliers for the tensors whose names start with a key (e.g. a new input's
  // weights, zero at the start of a fine-tuning run, that would otherwise move too slowly):
  // {"model.embed_future_context": 25}. Each key must match a trained tensor; multipliers 0-1000.
  std::map<std::string, double> lr_scale;
};
TrainConfig load_train_config(const std::string& path);   // JSON; unknown keys are errors
// The same from the text of a config; `path` names it in error messages (Error(kInvalidArgument)
// for anything wrong with the text: JSON, a key, a type, a value out of range).
TrainConfig parse_train_config(std::string_view text, const std::string& path);
std::string train_config_to_json(const TrainConfig& c);

struct StepLog {
  int64_t step = 0;
  double loss = 0, lr = 0, events_per_s = 0, grad_norm = 0;
  std::array<double, tokenizer::kNumFields> fields{};
  bool is_eval = false;
  double val_loss = 0, val_bits_per_event = 0, val_bits_per_note = 0;
  double val_future_bits_per_note = -1;   // models with future_context: with known futures drawn as in training
  std::string note;   // non-empty: a message, not a step (e.g. where fine-tuning started from)
};
using LogFn = std::function<void(const StepLog&)>;

// Trains (resuming from <out_dir>/checkpoint if present), writes <out_dir>/train.jsonl,
// <out_dir>/model.safetensors and <out_dir>/config.json. Returns the final validation loss.
double train(const TrainConfig& cfg, const LogFn& log = {});

}  // namespace continuo::train
