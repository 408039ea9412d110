// studio/server.cpp: the HTTP routes of the studio (docs/API.md). Every handler answers JSON
// errors ({"error": {"status", "code", "message"}}) for bad input; nothing a client sends can end
// the process.
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "continuo/audio.hpp"
#include "continuo/drums.hpp"
#include "continuo/vae.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/model.hpp"
#include "continuo/recording.hpp"
#include "continuo/transcribe.hpp"
#include "studio/api_json.hpp"
#include "studio/assets.hpp"
#include "studio/audio_encode.hpp"
#include "studio/jobs.hpp"
#include "studio/request_parse.hpp"
#include "studio/runner.hpp"
#include "studio/store.hpp"
#include "studio/studio.hpp"

namespace continuo::studio {
using nlohmann::json;

namespace {

void send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
  send_json(res, status, error_json(status, code, message));
}

const char* content_type(std::string_view path) {
  auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".mid")) return "audio/midi";
  return "application/octet-stream";
}

size_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0, resident = 0;
  f >> pages >> resident;
  return resident * size_t(sysconf(_SC_PAGESIZE));
}

// cpp-httplib 0.11 listens with a backlog of 5 connections: under load (and with the CPUs busy
// generating) further connection attempts are dropped and the client's retry comes a second
// later. Linux lets listen() be called again on the listening socket to raise the backlog; the
// library does not expose the socket, so it is found by its port.
void widen_listen_backlog(int port) {
  for (int fd = 0; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int p = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
            : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port) : -1;
    if (p == port) ::listen(fd, 512);
  }
}

}  // namespace

// A place among the tool requests waiting for their turn (at most `max`, else 503), held for the
// request's life.
class ToolSlot {
 public:
  ToolSlot(std::atomic<int>& waiting, int max) : n_(waiting) {
    if (++n_ > max) {
      --n_;
      throw HttpError{503, "busy", "the studio is busy with other tools' requests; try again in a moment"};
    }
  }
  ~ToolSlot() { --n_; }
  ToolSlot(const ToolSlot&) = delete;
  ToolSlot& operator=(const ToolSlot&) = delete;

 private:
  std::atomic<int>& n_;
};

struct Server::Impl {
  Options opt;
  httplib::Server http;
  ScoreStore store;
  RecordingStore recordings;
  AudioCache audio_cache;
  ModelCache models;
  std::mutex render_mu, encode_mu;
  std::unique_ptr<audio::Renderer> renderer;
  JobQueue jobs;
  // the tools' networks (Groove, Drumify, the clip VAEs), loaded on first use; one tool runs at a
  // time (each takes milliseconds to a second: docs/API.md, "Tools")
  std::mutex tools_mu;
  std::atomic<int> tools_waiting{0};   // at most kMaxToolsWaiting; more get 503, like a full job queue
  static constexpr int kMaxToolsWaiting = 8;
  std::optional<drums::Net> groove_net, drumify_net;
  std::optional<vae::Vae> melody_vae, drums_vae;
  // basic-pitch, loaded on the first recording; one transcription at a time (it uses every core)
  std::mutex transcribe_mu;
  std::optional<audio::BasicPitch> basic_pitch;
  // infill and accompany (a continuation model, up to tens of seconds): one at a time, beside the
  // quick tools above, so that a long accompaniment does not hold up a Groove
  std::mutex rewrite_mu;
  // the one running (GET /api/tools/progress, POST /api/tools/stop)
  struct Rewrite {
    std::mutex mu;   // guards tool and since
    std::string tool;   // empty: none running
    std::chrono::steady_clock::time_point since;
    std::atomic<double> done{0};
    std::atomic<int> events{0};
    std::atomic<bool> stop{false};
  } rewrite;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<uint64_t> requests{0}, errors{0};

  explicit Impl(Options o)
      : opt(std::move(o)),
        store(opt.max_scores),
        recordings(opt.max_recordings, opt.recordings_bytes),
        audio_cache(opt.audio_cache_bytes),
        models(opt.models_dir),
        jobs(opt.workers, opt.max_queue, [this](Job& j) { run_job(j, models, store); }) {
    routes();
  }

  void routes();
  std::shared_ptr<const StoredScore> score_or_404(const std::string& id);
  std::shared_ptr<const StoredScore> add_upload(const std::string& bytes, const std::string& name);
  GenerateContext generate_context();
  JobRequest parse_generate(const std::string& body);
  void handle_generate(const httplib::Request& req, httplib::Response& res);
  void handle_upload(const httplib::Request& req, httplib::Response& res);
  void handle_audio(const httplib::Request& req, httplib::Response& res);
  void handle_recording(const httplib::Request& req, httplib::Response& res);
  std::shared_ptr<const std::vector<uint8_t>> recording_wav(const StoredScore& st);
  std::shared_ptr<const StoredRecording> recording_or_404(const std::string& id);
  void handle_tool(const std::string& tool, const httplib::Request& req, httplib::Response& res);
  model::ModelFiles tool_model(const std::string& name);
};

model::ModelFiles Server::Impl::tool_model(const std::string& name) {
  auto files = models.find(name);
  if (!files) throw HttpError{404, "not_found", "the '" + name + "' model is not installed (models/" + name + ")"};
  return *files;
}

void Server::Impl::handle_tool(const std::string& tool, const httplib::Request& req, httplib::Response& res) {
  const ToolRequest r = parse_tool(tool, req.body, generate_context());
  std::vector<score::Score> outs;
  std::string stem, drummer_used;
  auto stem_of = [](const std::string& name) {
    const auto dot = name.rfind('.');
    return (dot == std::string::npos || dot == 0 ? name : name.substr(0, dot)).substr(0, 60);
  };
  const ToolSlot slot(tools_waiting, kMaxToolsWaiting);
  if (tool == "infill" || tool == "accompany" || tool == "recording") {
    auto files = models.find(r.model);
    if (!files) throw HttpError{404, "not_found", "model '" + r.model.substr(0, 60) + "' is not available"};
    std::lock_guard lock(rewrite_mu);
    auto model = models.get(*files);
    {
      std::lock_guard l(rewrite.mu);
      rewrite.tool = tool;
      rewrite.since = std::chrono::steady_clock::now();
      rewrite.done = 0;
      rewrite.events = 0;
      rewrite.stop = false;
    }
    struct Idle {
      Rewrite& r;
      ~Idle() {
        std::lock_guard l(r.mu);
        r.tool.clear();
      }
    } idle{rewrite};
    const tasks::RewriteProgressFn progress = [this](double done, int events) {
      rewrite.done = done;
      rewrite.events = events;
      return !rewrite.stop.load();
    };
    if (tool == "recording") {
      const auto& rec = *r.recording;
      const int per_variation = tasks::recording_events(rec.heard, rec.clip.seconds(), r.rec);
      const int variations = r.rec.sampling.variations;
      std::mutex counts_mu;
      std::vector<int> counts(size_t(variations), 0);
      const tasks::ProgressFn each = [&](int v, int events) {
        int sum = 0;
        {
          std::lock_guard l(counts_mu);
          counts[size_t(v)] = events;
          for (int c : counts) sum += c;
        }
        return progress(double(sum) / std::max(1, per_variation * variations), sum);
      };
      auto cont = tasks::continue_recording(*model, rec.heard, rec.clip.seconds(), r.rec, each);
      if (rewrite.stop.load()) throw Error(ErrorCode::kCancelled, "stopped: the recording was not continued");
      json list = json::array();
      const std::string base = stem_of(rec.name) + "-continued";
      for (size_t i = 0; i < cont.both.size(); ++i) {
        auto link = std::make_shared<SoundLink>();
        link->recording = rec.id;
        link->seam_s = cont.seam_s;
        link->added = std::move(cont.added[i]);
        const std::string name = base + (cont.both.size() > 1 ? "-" + std::to_string(i + 1) : "") + ".mid";
        list.push_back(score_json(*store.add(std::move(cont.both[i]), safe_name(name, ""), {}, std::move(link))));
      }
      send_json(res, 201, {{"tool", tool}, {"scores", std::move(list)}, {"seed", r.rec.sampling.seed}, {"model", r.model},
                           {"recording", rec.id}, {"seam", std::round(cont.seam_s * 1000) / 1000},
                           {"seconds", r.rec.seconds}, {"events", per_variation}});
      return;
    } else if (tool == "infill") {
      outs = tasks::infill(*model, r.a->score, r.infill, progress);
      stem = stem_of(r.a->name) + "-infill-" + std::to_string(r.infill.first_bar) +
             (r.infill.last_bar != r.infill.first_bar ? "-" + std::to_string(r.infill.last_bar) : "");
    } else {
      tasks::AccompanyOptions o = r.accompany;
      if (r.drumify_drums) {
        std::lock_guard l(tools_mu);   // loaded once, under the quick tools' lock; Net::run is const (safe beside a Drumify)
        if (!drumify_net && models.find("drumify")) drumify_net = drums::Net::load(tool_model("drumify"));
        if (drumify_net) o.drummer = &*drumify_net;
      }
      drummer_used = o.drummer ? "drumify" : "model";
      outs = tasks::accompany(*model, r.a->score, o, progress);
      stem = stem_of(r.a->name) + "-accompanied";
    }
  } else {
    std::lock_guard lock(tools_mu);
    if (tool == "groove") {
      if (!groove_net) groove_net = drums::Net::load(tool_model("groove"));
      outs.push_back(drums::groove(*groove_net, r.a->score, r.groove));
      stem = stem_of(r.a->name) + "-groove";
    } else if (tool == "drumify") {
      if (!drumify_net) drumify_net = drums::Net::load(tool_model("drumify"));
      outs = drums::drumify(*drumify_net, r.a->score, r.drumify);
      stem = stem_of(r.a->name) + "-drums";
    } else {
      const vae::Kind kind = tool == "clips" ? r.clip_kind : vae::kind_of(r.a->score);
      auto& net = kind == vae::Kind::kMelody ? melody_vae : drums_vae;
      if (!net) net = vae::Vae::load(tool_model(kind == vae::Kind::kMelody ? "melody-vae" : "drums-vae"));
      if (tool == "clips") {
        outs = vae::generate_clips(*net, r.clips);
        stem = std::string(vae::kind_name(kind)) + "-clip";
      } else {
        outs = vae::interpolate(*net, r.a->score, r.b->score, r.interpolate);
        stem = stem_of(r.a->name) + "-to-" + stem_of(r.b->name);
      }
    }
  }
  json list = json::array();
  for (size_t i = 0; i < outs.size(); ++i) {
    std::string name = stem;
    if (outs.size() > 1) name.append("-").append(std::to_string(i + 1));
    name.append(".mid");
    list.push_back(score_json(*store.add(std::move(outs[i]), safe_name(name, ""))));
  }
  json out = {{"tool", tool}, {"scores", std::move(list)}};
  if (tool == "drumify") out["seed"] = r.drumify.seed;
  if (tool == "interpolate") out["seed"] = r.interpolate.seed;
  if (tool == "clips") out["seed"] = r.clips.seed;
  if (tool == "infill") out["seed"] = r.infill.sampling.seed;
  if (tool == "accompany") out["seed"] = r.accompany.sampling.seed;
  if (tool == "infill" || tool == "accompany") out["model"] = r.model;
  if (tool == "accompany") out["drummer"] = drummer_used;
  send_json(res, 201, out);
}

std::shared_ptr<const StoredScore> Server::Impl::score_or_404(const std::string& id) {
  auto s = store.get(id);
  if (!s)
    throw HttpError{404, "not_found",
                    "score '" + id.substr(0, 40) + "' not found (the studio keeps the " +
                        std::to_string(opt.max_scores) + " most recent scores; upload it again)"};
  return s;
}

std::shared_ptr<const StoredScore> Server::Impl::add_upload(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw HttpError{400, "invalid_argument", "the upload is empty: send the bytes of a MIDI file"};
  if (bytes.size() > opt.max_upload_bytes)
    throw HttpError{413, "too_large", name + " is " + std::to_string(bytes.size() / 1024) + " KiB; the studio accepts MIDI files up to " +
                                          std::to_string(opt.max_upload_bytes / 1024) + " KiB"};
  std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  score::Score s;
  try {
    s = score::parse(span, name);
  } catch (const Error& e) {
    // score::parse refuses a readable file over one of the stated limits (continuo/limits.hpp:
    // tracks, notes) as an invalid argument: too large, like an upload over the byte limit
    if (e.code() == ErrorCode::kInvalidArgument) throw HttpError{413, "too_large", e.what()};
    throw HttpError{422, "corrupt_data", e.what()};
  }
  std::vector<uint8_t> midi(span.begin(), span.end());
  return store.add(std::move(s), name, std::move(midi));
}

void Server::Impl::handle_upload(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.has_param("name") ? req.get_param_value("name") : "upload.mid";
  name = safe_name(name, "");
  const std::string type = req.get_header_value("Content-Type");
  std::shared_ptr<const StoredScore> st;
  if (type.starts_with("application/json")) {
    UploadJson u = parse_upload_json(req.body, opt.max_upload_bytes);
    if (u.name) name = safe_name(*u.name, "");
    const auto& example = u.example;
    if (example) {
      const Asset* a = find_asset("examples/" + *example + (example->ends_with(".mid") ? "" : ".mid"));
      if (!a || example->find('/') != std::string::npos)
        throw HttpError{404, "not_found", "no bundled example '" + example->substr(0, 60) + "' (see GET /api/examples)"};
      std::string bytes(reinterpret_cast<const char*>(a->data), a->size);
      std::string n = a->path;
      st = add_upload(bytes, n.substr(n.find('/') + 1));
    } else {
      st = add_upload(u.midi, name);
    }
  } else if (type.starts_with("multipart/form-data")) {
    if (!req.has_file("file")) throw HttpError{400, "invalid_argument", "the form has no 'file' field"};
    const auto file = req.get_file_value("file");
    st = add_upload(file.content, safe_name(file.filename.empty() ? name : file.filename, ""));
  } else {
    st = add_upload(req.body, name);
  }
  send_json(res, 201, score_json(*st));
}

GenerateContext Server::Impl::generate_context() {
  GenerateContext ctx;
  ctx.max_events = opt.max_events;
  ctx.max_variations = opt.max_variations;
  ctx.default_model = models.default_name();
  ctx.has_model = [this](const std::string& name) {
    auto m = models.find(name);
    return m && ModelCache::is_continuation(*m);
  };
  ctx.model_names = [this] {
    std::string names;
    for (auto& m : models.list())
      if (ModelCache::is_continuation(m)) names += (names.empty() ? "" : ", ") + m.name;
    return names;
  };
  ctx.score = [this](const std::string& id) { return score_or_404(id); };
  ctx.recording = [this](const std::string& id) { return recording_or_404(id); };
  return ctx;
}

JobRequest Server::Impl::parse_generate(const std::string& body) { return studio::parse_generate(body, generate_context()); }

void Server::Impl::handle_generate(const httplib::Request& req, httplib::Response& res) {
  JobRequest r = parse_generate(req.body);
  // the prompt part shown in the roll: the notes the model sees
  json prompt_notes = json::array();
  double prompt_end = 0;
  if (r.prompt) {
    const auto& sc = r.prompt->score;
    const auto full = tasks::prompt_events(sc, 0, true);
    const auto ev = tasks::prompt_events(sc, r.prompt_events, true);
    tokenizer::PositionTracker t;
    for (const auto& e : ev) t.next(e);
    prompt_end = double(t.now()) / tokenizer::kStepsPerBeat;
    const bool cut = ev.size() < full.size();
    const int64_t cut_step = cut ? t.now() + full[ev.size()][tokenizer::Field::kDt] : 0;
    const int tpb = sc.ticks_per_beat > 0 ? sc.ticks_per_beat : 480;
    for (size_t ti = 0; ti < sc.tracks.size(); ++ti)
      for (const auto& n : sc.tracks[ti].notes) {
        if (cut && (n.start.count() * tokenizer::kStepsPerBeat + tpb / 2) / tpb >= cut_step) continue;
        if (prompt_notes.size() >= 200000) break;
        prompt_notes.push_back({ti, n.pitch, std::round(double(n.start.count()) / tpb * 1000) / 1000,
                                std::round(double(n.duration.count()) / tpb * 1000) / 1000, n.velocity});
      }
  }
  std::shared_ptr<Job> job;
  try {
    job = jobs.submit(std::move(r));
  } catch (const QueueFull&) {
    auto st = jobs.stats();
    res.set_header("Retry-After", "5");
    throw HttpError{503, "busy", "the studio is busy (" + std::to_string(st.running) + " jobs running, " +
                                     std::to_string(st.queued) + " waiting); try again in a few seconds"};
  }
  json first = {{"id", job->id}, {"model", job->req.model}, {"seed", job->req.sampling.seed},
                {"variations", job->req.sampling.variations}, {"events", job->req.sampling.events},
                {"score", job->req.prompt ? json(job->req.prompt->id) : json(nullptr)},
                {"prompt_end", prompt_end}, {"prompt_notes", std::move(prompt_notes)},
                {"queue_position", jobs.position(*job)}};
  auto head = std::make_shared<std::string>("retry: 3600000\nevent: job\ndata: " + first.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n");
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");
  res.status = 200;
  auto last_position = std::make_shared<int>(-1);
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, job, head, last_position](size_t, httplib::DataSink& sink) {
        std::string text;
        bool complete = false;
        if (!head->empty()) {
          text.swap(*head);
        } else {
          std::tie(text, complete) = job->drain(400);
          if (!complete && job->state() == JobState::kQueued) {
            const int p = jobs.position(*job);
            if (p != *last_position) {
              *last_position = p;
              text += "event: queued\ndata: " + json{{"position", p}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
            }
          }
          if (text.empty()) text = ": ping\n\n";   // also how a vanished client is noticed
        }
        if (!sink.write(text.data(), text.size())) {
          jobs.cancel(job);
          return false;
        }
        if (complete) sink.done();
        else if (job->state() == JobState::kRunning) std::this_thread::sleep_for(std::chrono::milliseconds(60));  // batch notes
        return true;
      },
      [this, job](bool success) {
        if (!success) jobs.cancel(job);
      });
}

void Server::Impl::handle_audio(const httplib::Request& req, httplib::Response& res) {
  // ?format=wav|flac|ogg (default wav); anything else, or the parameter twice, is refused
  AudioFormat format = AudioFormat::kWav;
  if (req.has_param("format")) {
    const std::string name = req.get_param_value("format");
    const auto f = parse_audio_format(name);
    if (!f || req.get_param_value_count("format") != 1)
      throw HttpError{400, "invalid_argument", "'format' must be wav, flac or ogg (once), not '" + name.substr(0, 20) + "'"};
    format = *f;
  }
  auto st = score_or_404(req.matches[1]);
  // ?of=notes|recording: the notes rendered, or (a score made from a recording) the recording,
  // with the continuation rendered and joined on where there is one; the default is the recording
  // when there is one
  bool of_recording = bool(st->sound);
  if (req.has_param("of")) {
    const std::string of = req.get_param_value("of");
    if ((of != "notes" && of != "recording") || req.get_param_value_count("of") != 1)
      throw HttpError{400, "invalid_argument", "'of' must be notes or recording (once), not '" + of.substr(0, 20) + "'"};
    of_recording = of == "recording";
    if (of_recording && !st->sound)
      throw HttpError{400, "invalid_argument", "'" + st->name.substr(0, 60) + "' was not made from a recording: ask for of=notes"};
  }
  const std::string base_key = of_recording ? st->id + ".rec" : st->id;
  auto wav = of_recording ? recording_wav(*st) : audio_cache.get(st->id);
  if (!wav) {
    std::lock_guard lock(render_mu);   // one FluidSynth at a time (the soundfont is ~150 MB)
    wav = audio_cache.get(st->id);
    if (!wav) {
      if (!renderer) {
        audio::RenderOptions ro;
        ro.soundfont = opt.soundfont;
        ro.max_seconds = opt.max_audio_seconds;
        renderer = std::make_unique<audio::Renderer>(ro);
      }
      auto bytes = std::make_shared<std::vector<uint8_t>>(audio::wav_bytes(renderer->render(st->score)));
      wav = bytes;
      audio_cache.put(st->id, wav);
    }
  }
  // a compressed format is encoded from the WAV and cached beside it (same cache, same limit)
  std::shared_ptr<const std::vector<uint8_t>> body = wav;
  if (format != AudioFormat::kWav) {
    const std::string key = base_key + "." + audio_format_name(format);
    body = audio_cache.get(key);
    if (!body) {
      std::lock_guard lock(encode_mu);   // one encoder at a time (Vorbis takes a core for a moment)
      body = audio_cache.get(key);
      if (!body) {
        body = std::make_shared<std::vector<uint8_t>>(encode_audio(audio::parse_wav(*wav), format));
        audio_cache.put(key, body);
      }
    }
  }
  const std::string stem = of_recording || !st->sound ? st->name : st->name.substr(0, st->name.rfind('.')) + "-notes.mid";
  res.set_header("Content-Disposition", "attachment; filename=\"" + safe_name(stem, std::string(".") + audio_format_name(format)) + "\"");
  res.set_header("Cache-Control", "private, max-age=3600");
  // the cache may drop it: the response keeps its own reference
  res.set_content_provider(
      body->size(), audio_format_mime(format),
      [body](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(reinterpret_cast<const char*>(body->data()) + offset, length);
      });
}

std::shared_ptr<const StoredRecording> Server::Impl::recording_or_404(const std::string& id) {
  auto r = recordings.get(id);
  if (!r)
    throw HttpError{404, "not_found",
                    "recording '" + id.substr(0, 40) + "' not found (the studio keeps the " + std::to_string(opt.max_recordings) +
                        " most recent recordings, " + std::to_string(opt.recordings_bytes >> 20) + " MiB of sound; upload it again)"};
  return r;
}

namespace {
json recording_json(const StoredRecording& r) {
  auto r3 = [](double x) { return std::round(x * 1000) / 1000; };
  return {{"id", r.id}, {"name", r.name}, {"format", r.format}, {"seconds", r3(r.clip.seconds())},
          {"sample_rate", r.source_rate}, {"bpm", r3(r.heard.grid.bpm)}, {"beats", r.heard.grid.beats.size()},
          {"beats_per_bar", r.heard.grid.beats_per_bar}, {"notes", r.heard.notes.size()}, {"seam", r3(r.seam_s)},
          {"score", r.score_id}, {"transcribe_seconds", r3(r.transcribe_seconds)}};
}

// A mono recording as 16-bit PCM.
audio::Audio pcm_of(const audio::Signal& s) {
  audio::Audio a;
  a.sample_rate = s.sample_rate;
  a.channels = 1;
  a.samples.resize(s.samples.size());
  for (size_t i = 0; i < s.samples.size(); ++i)
    a.samples[i] = int16_t(std::clamp<long>(std::lround(double(s.samples[i]) * 32767.0), -32768, 32767));
  return a;
}
}  // namespace

std::shared_ptr<const std::vector<uint8_t>> Server::Impl::recording_wav(const StoredScore& st) {
  const std::string key = st.id + ".rec";
  if (auto wav = audio_cache.get(key)) return wav;
  auto rec = recordings.get(st.sound->recording);
  if (!rec)
    throw HttpError{404, "not_found", "the recording behind '" + st.name.substr(0, 60) + "' is no longer kept (the studio keeps the " +
                                          std::to_string(opt.max_recordings) + " most recent); upload it again"};
  std::shared_ptr<const std::vector<uint8_t>> wav;
  if (st.sound->seam_s < 0) {
    wav = std::make_shared<std::vector<uint8_t>>(audio::wav_bytes(pcm_of(rec->clip)));
  } else {
    std::lock_guard lock(render_mu);
    if (auto again = audio_cache.get(key)) return again;
    if (!renderer) {
      audio::RenderOptions ro;
      ro.soundfont = opt.soundfont;
      ro.max_seconds = opt.max_audio_seconds;
      renderer = std::make_unique<audio::Renderer>(ro);
    }
    wav = std::make_shared<std::vector<uint8_t>>(
        audio::wav_bytes(tasks::join_continuation(*renderer, rec->clip, st.sound->added, st.sound->seam_s)));
  }
  audio_cache.put(key, wav);
  return wav;
}

void Server::Impl::handle_recording(const httplib::Request& req, httplib::Response& res) {
  std::string name = req.has_param("name") ? req.get_param_value("name") : "recording.wav";
  const std::string* bytes = &req.body;
  httplib::MultipartFormData file;
  if (req.get_header_value("Content-Type").starts_with("multipart/form-data")) {
    if (!req.has_file("file")) throw HttpError{400, "invalid_argument", "the form has no 'file' field"};
    file = req.get_file_value("file");
    bytes = &file.content;
    if (!file.filename.empty()) name = file.filename;
  }
  name = safe_name(name, "");
  if (bytes->empty())
    throw HttpError{400, "invalid_argument", "the upload is empty: send the bytes of a recording (WAV, FLAC, Ogg or MP3)"};
  if (bytes->size() > opt.max_recording_bytes)
    throw HttpError{413, "too_large", name + " is " + std::to_string(bytes->size() >> 10) + " KiB; the studio accepts recordings of up to " +
                                          std::to_string(opt.max_recording_bytes >> 20) + " MiB (a compressed format, FLAC, Ogg or MP3, holds more)"};
  const std::span<const uint8_t> span(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  const std::string format = audio::sniff_format(span.first(std::min<size_t>(span.size(), 64)));
  if (format == "midi")
    throw HttpError{415, "unsupported", name + " is a MIDI file: upload it with POST /api/scores (the page's \"Start from\")"};
  if (format.empty())
    throw HttpError{415, "unsupported", name + " is not a recording the studio can read (WAV, FLAC, Ogg Vorbis or Opus, MP3)"};
  const ToolSlot slot(tools_waiting, kMaxToolsWaiting);
  audio::DecodeLimits limits;
  limits.max_seconds = opt.max_recording_seconds;
  auto rec = std::make_shared<StoredRecording>();
  rec->name = name;
  rec->format = format;
  audio::Signal clip;
  try {
    clip = audio::decode(span, name, limits);
  } catch (const Error& e) {
    // over the length limit: too large; other limits (channels, rate): 422 as for any Error
    if (e.code() == ErrorCode::kUnsupported && std::string_view(e.what()).find("longer than") != std::string_view::npos)
      throw HttpError{413, "too_large", e.what()};
    throw;
  }
  rec->source_rate = clip.sample_rate;
  {
    std::lock_guard lock(transcribe_mu);
    const auto t0 = std::chrono::steady_clock::now();
    if (!basic_pitch) {
      try {
        basic_pitch = audio::BasicPitch::load(opt.basic_pitch_dir.empty() ? audio::default_basic_pitch_dir() : opt.basic_pitch_dir);
      } catch (const Error& e) {
        throw HttpError{503, "unavailable", std::string("the transcription model cannot be loaded: ") + e.what()};
      }
    }
    try {
      rec->heard = audio::transcribe(clip, *basic_pitch);
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kInvalidArgument) throw HttpError{422, "no_notes", name + ": " + e.what()};
      throw;
    }
    rec->transcribe_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  rec->seam_s = tasks::last_downbeat(rec->heard.grid, clip.seconds());
  const int rate = audio::RenderOptions{}.sample_rate;   // the studio renders at the default rate
  rec->clip = clip.sample_rate == rate ? std::move(clip) : audio::resample(clip, rate);
  rec->id = new_id();
  auto link = std::make_shared<SoundLink>();
  link->recording = rec->id;
  const auto dot = name.rfind('.');
  auto st = store.add(rec->heard.score, safe_name((dot == std::string::npos ? name : name.substr(0, dot)) + ".mid", ""), {}, link);
  rec->score_id = st->id;
  const auto kept = recordings.add(std::move(rec));
  send_json(res, 201, {{"recording", recording_json(*kept)}, {"score", score_json(*st)}});
}

void Server::Impl::routes() {
  auto wrap = [this](auto fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      ++requests;
      try {
        fn(req, res);
      } catch (const HttpError& e) {
        ++errors;
        send_error(res, e.status, e.code, e.message);
      } catch (const Error& e) {
        ++errors;
        const int code = int(e.code());
        send_error(res, http_status_of(code), error_code_name(code), e.what());
      } catch (const std::bad_alloc&) {
        ++errors;
        send_error(res, 500, "internal", "out of memory");
      } catch (const std::exception& e) {
        ++errors;
        send_error(res, 500, "internal", std::string("internal error: ") + e.what());
      }
    };
  };

  http.Get("/", wrap([](const httplib::Request&, httplib::Response& res) {
    const Asset* a = find_asset("web/index.html");
    if (!a) throw HttpError{500, "internal", "the page was not embedded in this build"};
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, content_type(a->path));
  }));
  http.Get(R"(/static/([A-Za-z0-9_.-]+))", wrap([](const httplib::Request& req, httplib::Response& res) {
    const Asset* a = find_asset("web/" + std::string(req.matches[1]));
    if (!a) throw HttpError{404, "not_found", "no such file"};
    res.set_content(reinterpret_cast<const char*>(a->data), a->size, content_type(a->path));
  }));

  http.Get("/api/health", wrap([](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"ok", true}, {"version", "0.1.0"}});
  }));
  http.Get("/api/status", wrap([this](const httplib::Request&, httplib::Response& res) {
    auto s = jobs.stats();
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    send_json(res, 200,
              {{"uptime_seconds", std::round(up * 10) / 10},
               {"rss_bytes", rss_bytes()},
               {"requests", requests.load()},
               {"errors", errors.load()},
               {"scores", store.size()},
               {"audio_cache_bytes", audio_cache.bytes()},
               {"recordings", recordings.size()},
               {"recordings_bytes", recordings.bytes()},
               {"jobs", {{"running", s.running}, {"queued", s.queued}, {"workers", s.workers},
                         {"max_queue", s.max_queue}, {"submitted", s.submitted}, {"completed", s.completed},
                         {"cancelled", s.cancelled}, {"failed", s.failed}, {"rejected", s.rejected}}},
               {"limits", {{"max_upload_bytes", opt.max_upload_bytes}, {"max_events", opt.max_events},
                           {"max_variations", opt.max_variations}, {"max_audio_seconds", opt.max_audio_seconds},
                           {"max_recording_bytes", opt.max_recording_bytes}, {"max_recording_seconds", opt.max_recording_seconds}}}});
  }));
  http.Get("/api/models", wrap([this](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const auto& m : models.list()) {
      // only continuation models: the Groove/Drumify nets and clip VAEs are for POST /api/tools
      if (!ModelCache::is_continuation(m)) continue;
      json x = {{"name", m.name}};
      try {
        auto c = model::load_config(m.config_path);
        x["description"] = c.description;
        x["d_model"] = c.d_model;
        x["n_layers"] = c.n_layers;
        x["max_len"] = c.max_len;
      } catch (const Error& e) {
        x["error"] = e.what();
      }
      list.push_back(std::move(x));
    }
    send_json(res, 200, {{"models", std::move(list)}, {"default", models.default_name()}});
  }));
  http.Get("/api/examples", wrap([](const httplib::Request&, httplib::Response& res) {
    json list = json::array();
    for (const Asset& a : assets()) {
      std::string p = a.path;
      if (!p.starts_with("examples/")) continue;
      std::string name = p.substr(9, p.size() - 9 - 4);
      list.push_back({{"name", name}, {"file", p.substr(9)}, {"bytes", a.size}});
    }
    send_json(res, 200, {{"examples", std::move(list)}});
  }));

  http.Post("/api/scores", wrap([this](const httplib::Request& req, httplib::Response& res) { handle_upload(req, res); }));
  http.Get(R"(/api/scores/([0-9a-f]{1,32}))", wrap([this](const httplib::Request& req, httplib::Response& res) {
    send_json(res, 200, score_json(*score_or_404(req.matches[1])));
  }));
  http.Get(R"(/api/scores/([0-9a-f]{1,32})/midi)", wrap([this](const httplib::Request& req, httplib::Response& res) {
    auto st = score_or_404(req.matches[1]);
    res.set_header("Content-Disposition", "attachment; filename=\"" + safe_name(st->name, ".mid") + "\"");
    res.set_content(reinterpret_cast<const char*>(st->midi.data()), st->midi.size(), "audio/midi");
  }));
  http.Get(R"(/api/scores/([0-9a-f]{1,32})/audio)", wrap([this](const httplib::Request& req, httplib::Response& res) { handle_audio(req, res); }));

  // the running infill or accompany (one at a time): how far it is, and stopping it (it then
  // answers 409 "cancelled")
  http.Post("/api/recordings", wrap([this](const httplib::Request& req, httplib::Response& res) { handle_recording(req, res); }));
  http.Get(R"(/api/recordings/([0-9a-f]{1,32}))", wrap([this](const httplib::Request& req, httplib::Response& res) {
    send_json(res, 200, recording_json(*recording_or_404(req.matches[1])));
  }));

  http.Get("/api/tools/progress", wrap([this](const httplib::Request&, httplib::Response& res) {
    std::lock_guard l(rewrite.mu);
    if (rewrite.tool.empty()) return send_json(res, 200, {{"running", false}});
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - rewrite.since).count();
    send_json(res, 200, {{"running", true}, {"tool", rewrite.tool}, {"done", rewrite.done.load()},
                         {"events", rewrite.events.load()}, {"seconds", secs}, {"stopping", rewrite.stop.load()}});
  }));
  http.Post("/api/tools/stop", wrap([this](const httplib::Request& req, httplib::Response& res) {
    parse_empty(req.body);
    std::lock_guard l(rewrite.mu);
    const bool running = !rewrite.tool.empty();
    if (running) rewrite.stop = true;
    json out = {{"stopped", running}};
    if (running) out["tool"] = rewrite.tool;
    send_json(res, 200, out);
  }));
  http.Post(R"(/api/tools/([a-z]{1,20}))", wrap([this](const httplib::Request& req, httplib::Response& res) {
    handle_tool(req.matches[1], req, res);
  }));
  http.Post("/api/generate", wrap([this](const httplib::Request& req, httplib::Response& res) { handle_generate(req, res); }));
  http.Get(R"(/api/jobs/([0-9a-f]{1,32}))", wrap([this](const httplib::Request& req, httplib::Response& res) {
    auto job = jobs.find(req.matches[1]);
    if (!job) throw HttpError{404, "not_found", "no job '" + std::string(req.matches[1]) + "' (finished jobs are forgotten)"};
    res.status = 200;
    res.set_content(job->status_json(), "application/json");
  }));
  http.Post(R"(/api/jobs/([0-9a-f]{1,32})/stop)", wrap([this](const httplib::Request& req, httplib::Response& res) {
    auto job = jobs.find(req.matches[1]);
    if (!job) throw HttpError{404, "not_found", "no job '" + std::string(req.matches[1]) + "' (finished jobs are forgotten)"};
    const int variation = parse_stop(req.body, job->req.sampling.variations);
    job->stop(variation);
    send_json(res, 200, {{"id", job->id}, {"stopped", variation}, {"state", state_name(job->state())}});
  }));

  // errors httplib answers by itself (404 for unknown paths, 413 for oversized bodies, 400): JSON too
  http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg;
    switch (res.status) {
      case 404: msg = "no such endpoint: " + req.method + " " + req.path.substr(0, 100) + " (see docs/API.md)"; break;
      case 413: msg = "the request body is larger than the studio accepts (" + std::to_string(opt.max_upload_bytes / 1024) + " KiB of MIDI, " +
                      std::to_string(opt.max_recording_bytes >> 20) + " MiB of audio)"; break;
      case 405: msg = "method not allowed"; break;
      default: msg = "bad request"; break;
    }
    send_error(res, res.status, res.status == 413 ? "too_large" : res.status == 404 ? "not_found" : "bad_request", msg);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal", "internal error");
  });
  http.set_default_headers({{"Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'"},
                            {"X-Content-Type-Options", "nosniff"}});
  // body limit: base64 JSON of the largest MIDI upload, plus room
  // MIDI arrives as base64 in JSON too; a recording as raw bytes or a form (each handler checks its own limit)
  http.set_payload_max_length(std::max(opt.max_upload_bytes * 4 / 3, opt.max_recording_bytes) + 65536);
  // answers are written as headers, then body: without TCP_NODELAY the body of every answer after
  // the first on a kept-alive connection waits ~40 ms for the client's delayed ACK (the soak test)
  http.set_tcp_nodelay(true);
  http.set_keep_alive_timeout(2);
  http.set_read_timeout(10);
  http.set_write_timeout(10);
  const int threads = std::max(4, opt.http_threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
}

Server::Server(Options opt) : impl_(std::make_unique<Impl>(std::move(opt))) {}
Server::~Server() = default;

int Server::bind() {
  auto& o = impl_->opt;
  int port = o.port;
  if (port == 0) port = impl_->http.bind_to_any_port(o.host);
  else if (!impl_->http.bind_to_port(o.host, port)) port = -1;
  if (port < 0)
    throw Error(ErrorCode::kIo, "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                    " (in use, or not an address of this machine); try --port 0 for any free port");
  widen_listen_backlog(port);
  return port;
}

void Server::run() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace continuo::studio
