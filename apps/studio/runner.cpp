// studio/runner.cpp: see runner.hpp.
#include "studio/runner.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "continuo/midi.hpp"
#include "continuo/error.hpp"
#include "studio/api_json.hpp"

namespace continuo::studio {
namespace fs = std::filesystem;
using nlohmann::json;
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

std::vector<model::ModelFiles> ModelCache::list() const {
  if (dir_.empty()) return model::list_models();
  std::vector<model::ModelFiles> out;
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
    if (fs::is_regular_file(it->path() / "config.json", ec) && fs::is_regular_file(it->path() / "model.safetensors", ec))
      dirs.push_back(it->path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    try {
      out.push_back(model::find_model(d.string()));
    } catch (const Error&) {
    }
  }
  return out;
}

std::optional<model::ModelFiles> ModelCache::find(const std::string& name) const {
  for (auto& m : list())
    if (m.name == name) return m;
  return std::nullopt;
}

bool ModelCache::is_continuation(const model::ModelFiles& m) {
  try {
    const std::vector<uint8_t> bytes = midi::read_file_bytes(m.config_path);
    const nlohmann::json raw = nlohmann::json::parse(bytes.begin(), bytes.end());
    return !(raw.is_object() && raw.contains("format") && raw["format"] != model::kFormat);
  } catch (const std::exception&) {
    return true;   // unreadable: listed, with its error
  }
}

std::string ModelCache::default_name() const {
  std::string first;
  for (auto& m : list()) {
    if (!is_continuation(m)) continue;
    if (m.name == "default") return m.name;
    if (first.empty()) first = m.name;
  }
  return first;
}

std::shared_ptr<const engine::Model> ModelCache::get(const model::ModelFiles& files) {
  std::lock_guard lock(mu_);   // loading is quick (a few MB) and rare: one at a time
  const std::string key = files.dir;
  order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
  order_.push_back(key);
  if (auto it = loaded_.find(key); it != loaded_.end()) return it->second;
  auto m = std::make_shared<const engine::Model>(engine::Model::load(files));
  loaded_[key] = m;
  while (loaded_.size() > max_loaded_) {
    loaded_.erase(order_.front());   // jobs still using it keep their shared_ptr
    order_.erase(order_.begin());
  }
  return m;
}

namespace {

// Turns the engine's events of each variation into roll notes (beats) as they come.
struct NoteDecoder {
  std::vector<tokenizer::PositionTracker> trackers;
  std::vector<int> counts;
  std::vector<std::vector<int>> groups;   // model track -> score tracks (continue); empty: identity

  NoteDecoder(const std::vector<Event>& prompt, int variations) {
    tokenizer::PositionTracker t;
    for (const Event& e : prompt) t.next(e);
    trackers.assign(size_t(variations), t);
    counts.assign(size_t(variations), 0);
  }

  std::optional<RollNote> next(int v, const Event& e) {
    ++counts[size_t(v)];
    trackers[size_t(v)].next(e);
    if (e.kind() != Kind::kNote) return std::nullopt;
    int track = e[Field::kTrack];
    if (!groups.empty()) {
      if (track >= int(groups.size()) || groups[size_t(track)].empty()) return std::nullopt;
      track = groups[size_t(track)][0];
    }
    const double step = 1.0 / tokenizer::kStepsPerBeat;
    return RollNote{track, int(e[Field::kValue]) - tokenizer::kPitchBase, double(trackers[size_t(v)].now()) * step,
                    double(e[Field::kDuration] + 1) * step, int(e[Field::kValue2])};
  }
};

std::string variation_name(const std::string& base, int v, int variations) {
  std::string stem = base;
  for (const char* ext : {".mid", ".midi", ".MID", ".MIDI"})
    if (stem.size() > std::string(ext).size() && stem.ends_with(ext)) stem.resize(stem.size() - std::string(ext).size());
  if (stem.empty()) stem = "continuo";
  return stem + (variations > 1 ? "-v" + std::to_string(v + 1) : "") + "-c.mid";
}

}  // namespace

void run_job(Job& job, ModelCache& models, ScoreStore& store) {
  const JobRequest& r = job.req;
  const int V = r.sampling.variations;
  try {
    auto files = models.find(r.model);
    if (!files) throw Error(ErrorCode::kNotFound, "model '" + r.model + "' is not available");
    auto model = models.get(*files);
    job.emit("start", json{{"model", r.model}, {"variations", V}}.dump(-1, ' ', false, json::error_handler_t::replace));

    std::vector<Event> prompt_ev;
    if (r.prompt) prompt_ev = tasks::prompt_events(r.prompt->score, r.prompt_events, model->config().controls);
    else prompt_ev = tasks::conditioning_header(r.conditioning);
    NoteDecoder dec(prompt_ev, V);
    if (r.prompt) dec.groups = tokenizer::Tokenizer::track_groups(r.prompt->score);

    auto on_event = [&](int v, const Event& e) {
      if (job.cancelled()) return false;
      if (auto n = dec.next(v, e)) job.add_note(v, *n, dec.counts[size_t(v)]);
      return true;
    };
    engine::SampleOptions so = r.sampling;
    so.stop_variation = [&job](int v) { return job.stopped(v); };

    const auto t0 = std::chrono::steady_clock::now();
    std::vector<score::Score> outs;
    if (r.prompt) {
      tasks::ContinueOptions opt;
      opt.prompt_events = r.prompt_events;
      opt.sampling = so;
      opt.override_ = r.conditioning;
      opt.override_.instruments.clear();
      outs = tasks::continue_score(*model, r.prompt->score, opt, {}, nullptr, on_event);
    } else {
      tasks::GenerateOptions opt;
      opt.sampling = so;
      opt.conditioning = r.conditioning;
      outs = tasks::generate_score(*model, opt, {}, on_event);
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (job.cancelled()) {
      job.set_state(JobState::kCancelled);
      return;
    }
    std::vector<std::shared_ptr<const StoredScore>> results;
    const std::string base = r.prompt ? r.prompt->name : "new-piece.mid";
    int total = 0;
    for (int v = 0; v < int(outs.size()); ++v) {
      auto st = store.add(std::move(outs[size_t(v)]), variation_name(base, v, V));
      results.push_back(st);
      total += dec.counts[size_t(v)];
      json d = {{"variation", v}, {"events", dec.counts[size_t(v)]}, {"stopped", job.stopped(v)},
                {"score", score_json(*st)}};
      job.emit("result", d.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    job.set_results(results);
    job.emit("done", json{{"seconds", std::round(secs * 1000) / 1000}, {"events", total},
                          {"events_per_second", std::round(total / std::max(secs, 1e-6))}}.dump(-1, ' ', false, json::error_handler_t::replace));
    job.set_state(JobState::kDone);
  } catch (const Error& e) {
    const int code = int(e.code());
    job.emit("error", error_json(http_status_of(code), error_code_name(code), e.what()).dump(-1, ' ', false, json::error_handler_t::replace));
    job.set_state(JobState::kFailed);
  } catch (const std::bad_alloc&) {
    job.emit("error", error_json(500, "internal", "out of memory").dump(-1, ' ', false, json::error_handler_t::replace));
    job.set_state(JobState::kFailed);
  } catch (const std::exception& e) {
    job.emit("error", error_json(500, "internal", std::string("internal error: ") + e.what()).dump(-1, ' ', false, json::error_handler_t::replace));
    job.set_state(JobState::kFailed);
  }
}

}  // namespace continuo::studio
