using Subclone.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;
using Subclone.Checkpoints;
using Subclone.Checkpoints.Llama2c;
using Subclone.Cloning;
using Subclone.Inference;

// Benchmarks for docs/benchmarks.md, each printed as a Markdown table:
//   (default)          training throughput and MFU of GPT-2-style models, against the fp32 matmul peak measured
//                      by this same process;
//   --cloning          wall time (calibration / planning / slicing+writing, tensor by tensor) and peak memory of subcloning random
//                      GPT-2-small- (124M) and GPT-2-medium-shaped (355M) parents to half size, each in its own
//                      process so peak RSS (VmHWM) is that clone's alone;
//   --calibration      calibration near the peak, in one command: the fp32 matmul peak, then per-block time against
//                      the matmul FLOPs of a 7B-shaped Llama streamed from bf16 files (4 of Mistral-7B's 32 blocks,
//                      written once under --parent-dir; read in turn and read ahead), then the --cloning table with
//                      each in-memory clone's per-block rate, then training MFU (--steps 10) with OMP_NUM_THREADS=1;
//   --inference        greedy `generate` tokens/s (KV cache, no cache, llama.cpp on the same GGUF weights) for
//                      stories260K (../shared), a 124M-shaped GPT-2 and a 124M-shaped Llama (GenerationBench.cs);
//   --memory           resident memory every 100 steps of a 1000-step training run.
// Usage: dotnet run -c Release --project bench/Subclone.Bench -- [--all | --steps N | --calibration [--parent-dir D] | --cloning | --inference | --memory]
torch.set_num_threads(Subclone.Training.TrainingLoop.Threads());  // every core unless OMP_NUM_THREADS says otherwise
var invariant = CultureInfo.InvariantCulture;
string machine = $"Machine: {Environment.ProcessorCount} cores, {CpuModel()}; torch threads {torch.get_num_threads()}; TorchSharp {typeof(torch).Assembly.GetName().Version}.";

if (args.Length >= 2 && args[0] == "--clone-one") { Console.WriteLine(CloneOne(args[1]).ToJsonString()); return; }
if (args.Contains("--calibration"))
{
    int at = Array.IndexOf(args, "--parent-dir");
    string parentDir = at >= 0 && at + 1 < args.Length ? args[at + 1] : Path.Combine(Path.GetTempPath(), "subclone-bench-llama-7b-4-blocks");
    Console.WriteLine(machine);
    double calibrationPeak = MatmulPeak();
    Console.WriteLine(string.Create(invariant, $"fp32 matmul peak (2048×2048×2048, best of 10): **{calibrationPeak / 1e9:F1} GFLOP/s**; load average before: {LoadAverage()}."));
    Console.WriteLine();
    Console.WriteLine(StreamedBlocks(parentDir, calibrationPeak));
    Console.WriteLine(Cloning(calibrationPeak));
    Console.WriteLine($"Load average after the clones: {LoadAverage()}. Training MFU (`--steps 10`, OMP_NUM_THREADS=1):");
    Console.WriteLine();
    Console.WriteLine(RunSelf(["--steps", "10"], threads: "1"));
    Console.WriteLine($"Load average at the end: {LoadAverage()}.");
    return;
}
if (args.Contains("--all"))
{
    // Every benchmark in one go, each in its own process (peak memory and thread state stay separate):
    // --calibration prints the peak, the streamed and in-memory calibration tables, the cloning table and MFU.
    foreach (string mode in new[] { "--calibration", "--inference", "--memory" })
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Subclone.Bench.dll"));
        start.ArgumentList.Add(mode);
        using var run = Process.Start(start)!;
        Console.WriteLine(run.StandardOutput.ReadToEnd().Trim());
        Console.WriteLine();
        run.WaitForExit();
    }
    return;
}
if (args.Contains("--memory"))
{
    Console.WriteLine(machine);
    Console.WriteLine();
    Console.WriteLine(MemoryOverTraining(steps: 1000, every: 100));
    return;
}
if (args.Contains("--cloning"))
{
    Console.WriteLine(machine);
    Console.WriteLine();
    Console.WriteLine(Cloning(peak: null));
    return;
}
if (args.Contains("--inference-profile"))
{
    Console.WriteLine(Subclone.Bench.GenerationBench.Profile());
    return;
}
if (args.Contains("--inference"))
{
    Console.WriteLine(Subclone.Bench.GenerationBench.Run(machine, skipLongUncached: args.Contains("--skip-long-uncached")));
    return;
}
int steps = args.Length >= 2 && args[0] == "--steps" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;

double peak = MatmulPeak();
var report = new StringBuilder();
report.AppendLine(machine);
report.AppendLine(string.Create(invariant, $"fp32 matmul peak (2048×2048×2048, best of 10): **{peak / 1e9:F1} GFLOP/s**."));
report.AppendLine();
report.AppendLine("| width | layers | heads | params (non-embedding) | batch × seq | step (ms) | tokens/s | model GFLOP/s | MFU |");
report.AppendLine("|---|---|---|---|---|---|---|---|---|");
foreach (var (width, layers) in new[] { (128, 4), (256, 4), (512, 4) })
{
    var row = TrainingThroughput(width, layers, heads: width / 64, batch: 8, seq: 256, vocab: 512, steps: steps, peak: peak);
    report.AppendLine(row);
    Console.Error.WriteLine(row);
}
Console.WriteLine(report.ToString());

/// Resident memory while training the 256-wide model for many steps: flat means no native leak per step.
static string MemoryOverTraining(int steps, int every)
{
    var config = Gpt2Config(256, 4, 4, 512, 256);
    var model = TransformerModel.Create(config, seed: 0);
    model.train();
    var optimizer = optim.AdamW(model.parameters(), 1e-4);
    var generator = new Generator(1);
    static double RssMb() => File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmRSS:"))
        .Select(l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0).First();
    var table = new StringBuilder("| step | resident memory (MB) |\n|---|---|\n");
    for (int step = 1; step <= steps; step++)
    {
        using (var scope = NewDisposeScope())
        {
            var ids = randint(0, 512, [8, 129], generator: generator);
            var logits = model.Forward(ids[.., ..128]);
            nn.functional.cross_entropy(logits.reshape(-1, 512), ids[.., 1..].reshape(-1)).backward();
            optimizer.step();
            optimizer.zero_grad();
        }
        if (step == 1 || step % every == 0) table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {step} | {RssMb():F0} |"));
    }
    return table.ToString();
}

/// <summary>This benchmark run again in a process of its own (peak RSS and thread state stay separate); stdout.</summary>
static string RunSelf(string[] arguments, string? threads = null)
{
    var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Subclone.Bench.dll"));
    foreach (string a in arguments) start.ArgumentList.Add(a);
    if (threads is not null) start.Environment["OMP_NUM_THREADS"] = threads;
    using var child = Process.Start(start)!;
    string output = child.StandardOutput.ReadToEnd().Trim();
    child.WaitForExit();
    return output;
}

static string Gb(JsonNode? kb) => (kb!.GetValue<long>() * 1024 / 1e9).ToString("F2", CultureInfo.InvariantCulture);

static long HighWaterKb() => File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:"))
    .Select(l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault();

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

/// <summary>Matmul FLOPs of one block's forward over <paramref name="batch"/> sequences of <paramref name="seq"/> tokens:
/// 2 per token for every element of a matrix weight, plus QKᵀ and AV (4·seq·heads·head_dim per token, the causal
/// mask not subtracted, as in the MFU accounting). Dense blocks only: every expert of a MoE block would be counted.</summary>
static double BlockFlops(IEnumerable<ParameterShape> blockParameters, ModelConfig config, int batch, int seq)
{
    long matrices = blockParameters.Where(p => p.Shape.Length == 2).Sum(p => p.ElementCount);
    long tokens = (long)batch * seq;
    return 2.0 * matrices * tokens + 4.0 * tokens * seq * config.Heads * config.HeadDim;
}

/// <summary>The --cloning table (each clone in its own process), with each clone's calibration rate against
/// <paramref name="peak"/> when given, and its peak RSS against the parent's float32 size.</summary>
static string Cloning(double? peak)
{
    var table = new StringBuilder();
    table.AppendLine("| parent | parent params (float32) | child | calibration (64 × 256 tokens) | plan | slice + write | total | peak RSS | peak / parent float32 |");
    table.AppendLine("|---|---|---|---|---|---|---|---|---|");
    var shas = new List<string>();
    var marks = new List<string>();
    var rates = new StringBuilder();
    rates.AppendLine("| in-memory parent | blocks | GFLOP per block (8 × 256 tokens) | calibration s per block (mean) | GFLOP/s | of the peak |");
    rates.AppendLine("|---|---|---|---|---|---|");
    foreach (string shape in new[] { "124M", "355M" })
    {
        var r = JsonNode.Parse(RunSelf(["--clone-one", shape]))!;
        double parentGb = r["parent_params"]!.GetValue<long>() * 4 / 1e9, peakGb = r["peak_kb"]!.GetValue<long>() * 1024 / 1e9;
        double calibration = r["calibration_s"]!.GetValue<double>(), slicing = r["slicing_s"]!.GetValue<double>(), writing = r["writing_s"]!.GetValue<double>();
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| GPT-2 {shape}-shaped ({r["layers"]} × {r["hidden"]}) | {r["parent_params"]!.GetValue<long>():N0} ({parentGb:F2} GB) | {r["child"]} | {calibration:F1} s | {slicing:F1} s | {writing:F1} s | {calibration + slicing + writing:F1} s | {peakGb:F2} GB | {peakGb / parentGb:F2}× |"));
        shas.Add($"{shape} {r["child_sha256"]}");
        marks.Add(string.Create(CultureInfo.InvariantCulture, $"{shape} {Gb(r["runtime_kb"])} GB, {Gb(r["after_parent_kb"])} GB while building it, {Gb(r["built_kb"])} GB once built"));
        int layers = r["layers"]!.GetValue<int>(), batches = r["batches"]!.GetValue<int>();
        double perBlock = calibration / layers, flops = r["block_flops"]!.GetValue<double>() * batches;
        if (peak is double p)
            rates.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| GPT-2 {shape}-shaped | {layers} | {flops / 1e9:F0} (×{batches} batches) | {perBlock:F2} s | {flops / perBlock / 1e9:F1} | {flops / perBlock / p:P0} |"));
    }
    table.AppendLine();
    table.AppendLine($"Children's model.safetensors, first 16 hex digits of sha256: {string.Join(", ", shas)}.");
    table.AppendLine($"Resident memory before the random parent is built (the .NET runtime with libtorch): {string.Join("; ", marks)}. " +
        "Peak RSS is the high-water mark from then on (calibration, slicing, writing); the parent's own build is setup.");
    return peak is null ? table.ToString() : table + "\n" + rates;
}

/// <summary>
/// Streamed calibration of a 7B-shaped Llama cut to 4 blocks (Mistral-7B's block: 4096 wide, 32 / 8 heads, FFN
/// 14336; vocab 32000; bf16 files written once into <paramref name="directory"/>), on 8 × 128 random ids as in
/// "Subcloning a parent larger than memory": each block's seconds (between progress reports) against its matmul
/// FLOPs and the peak, reading each block in turn and reading the next one ahead.
/// </summary>
static string StreamedBlocks(string directory, double peak)
{
    var config = ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "llama", ["architectures"] = new JsonArray("LlamaForCausalLM"), ["hidden_size"] = 4096,
        ["num_hidden_layers"] = 4, ["num_attention_heads"] = 32, ["num_key_value_heads"] = 8, ["intermediate_size"] = 14336,
        ["vocab_size"] = 32000, ["max_position_embeddings"] = 4096, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0,
        ["hidden_act"] = "silu", ["tie_word_embeddings"] = false, ["torch_dtype"] = "bfloat16",
    }, "bench");
    if (!File.Exists(Path.Combine(directory, HfCheckpoint.ConfigFile)))
        RandomCheckpoint.Write(config, directory, ScalarType.BFloat16, seed: 0, maxShardBytes: 2L << 30);
    using var reader = CheckpointReader.Open(directory);
    var batches = CalibrationSampler.RandomIds(config.Vocab, 8, 128, 8, 0);
    var times = new Dictionary<bool, List<double>>();
    foreach (bool ahead in new[] { false, true })
    {
        var watch = Stopwatch.StartNew();
        var marks = new List<double>();
        StreamingCloner.Measure(reader, batches, "random ids", 0, new Marks(marks, watch), overlapReading: ahead);
        times[ahead] = marks.Zip(marks.Skip(1), (a, b) => b - a).Prepend(marks[0]).ToList();  // [embedding, block 0, …]
    }
    var table = new StringBuilder();
    table.AppendLine("| step | GFLOP (8 × 128 tokens) | read in turn: s | GFLOP/s | of the peak | read ahead: s | GFLOP/s | of the peak |");
    table.AppendLine("|---|---|---|---|---|---|---|---|");
    for (int step = 0; step <= config.Layers; step++)
    {
        string prefix = step == 0 ? "" : config.Family.BlockPrefixAt(step - 1);
        double flops = step == 0 ? 0 : BlockFlops(reader.Parameters.Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)), config, 8, 128);
        string Rate(double seconds) => step == 0 ? " | " : string.Create(CultureInfo.InvariantCulture, $"{flops / seconds / 1e9:F1} | {flops / seconds / peak:P0}");
        table.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(step == 0 ? "embedding (read, then block 0 starts reading)" : $"block {step - 1}")} | {(step == 0 ? "" : (flops / 1e9).ToString("F0", CultureInfo.InvariantCulture))} | {times[false][step]:F2} | {Rate(times[false][step])} | {times[true][step]:F2} | {Rate(times[true][step])} |"));
    }
    double total(bool ahead) => times[ahead].Sum();
    table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| total | | {total(false):F2} | | | {total(true):F2} | | |"));
    return table.ToString();
}

static ModelConfig Gpt2Config(int width, int layers, int heads, int vocab, int positions) => ModelConfig.Parse(new JsonObject
{
    ["model_type"] = "gpt2", ["n_embd"] = width, ["n_layer"] = layers, ["n_head"] = heads, ["vocab_size"] = vocab,
    ["n_positions"] = positions, ["tie_word_embeddings"] = true,
}, "bench");

/// One clone, timed by phase; the process's peak RSS at the end is the clone's.
static JsonObject CloneOne(string shape)
{
    var config = shape == "124M" ? Gpt2Config(768, 12, 12, 50257, 1024) : Gpt2Config(1024, 24, 16, 50257, 1024);
    long baseKb = HighWaterKb();
    var parent = TransformerModel.Create(config, seed: 0);
    long parentKb = HighWaterKb();
    // Building a random parent is this benchmark's setup, not cloning (and not what loading one costs): its transient
    // peak is reported apart, and the high-water mark restarts from the memory in use once it is built (Linux: 5 →
    // clear_refs resets VmHWM).
    File.WriteAllText("/proc/self/clear_refs", "5");
    long builtKb = HighWaterKb();
    var generator = new Generator(1);
    var batches = Enumerable.Range(0, 8).Select(_ => new ModelBatch(randint(0, config.Vocab, [8, 256], generator: generator))).ToList();
    var watch = Stopwatch.StartNew();
    var scores = Calibrator.Measure(parent, batches, "random ids", 0);
    double calibration = watch.Elapsed.TotalSeconds;
    watch.Restart();
    var target = new CloneTarget(Hidden: config.Hidden / 2, Heads: config.Heads / 2, Ffn: config.Ffn / 2, Layers: config.Layers / 2);
    var map = Subcloner.Plan(config, target, scores, new CloneOptions());
    double slicing = watch.Elapsed.TotalSeconds;
    watch.Restart();
    string outDir = Path.Combine(Path.GetTempPath(), $"subclone-bench-{shape}-{Environment.ProcessId}");
    // Sliced and written one tensor at a time, as `subclone clone` does: the child never sits whole beside the parent.
    var c = Subcloner.Write(parent, map, outDir, ScalarType.Float32, overwrite: true);
    double writing = watch.Elapsed.TotalSeconds;
    // The child's bytes, so a change to calibration can be checked to give the same child.
    string sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(outDir, "model.safetensors"))))[..16].ToLowerInvariant();
    Directory.Delete(outDir, recursive: true);
    long peakKb = HighWaterKb();
    var block0 = parent.named_parameters().Where(p => p.name.StartsWith(config.Family.BlockPrefixAt(0), StringComparison.Ordinal))
        .Select(p => new ParameterShape(p.name, p.parameter.shape));
    return new JsonObject
    {
        ["layers"] = config.Layers, ["hidden"] = config.Hidden, ["parent_params"] = parent.ParameterCount(),
        ["child"] = $"{c.Layers} × {c.Hidden}, {c.Heads} heads, FFN {c.Ffn} ({c.Family.ParameterCount(c):N0})",
        ["calibration_s"] = calibration, ["slicing_s"] = slicing, ["writing_s"] = writing, ["peak_kb"] = peakKb,
        ["runtime_kb"] = baseKb, ["after_parent_kb"] = parentKb, ["built_kb"] = builtKb, ["batches"] = batches.Count, ["block_flops"] = BlockFlops(block0, config, 8, 256), ["child_sha256"] = sha,
    };
}

static double MatmulPeak()
{
    using var a = randn(2048, 2048);
    using var b = randn(2048, 2048);
    for (int i = 0; i < 3; i++) matmul(a, b).Dispose();  // warm up
    double best = 0;
    for (int i = 0; i < 10; i++)
    {
        var watch = Stopwatch.StartNew();
        matmul(a, b).Dispose();
        best = Math.Max(best, 2.0 * 2048 * 2048 * 2048 / watch.Elapsed.TotalSeconds);
    }
    return best;
}

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU" : "unknown CPU";

static string TrainingThroughput(int width, int layers, int heads, int batch, int seq, int vocab, int steps, double peak)
{
    var config = ModelConfig.Parse(new JsonObject
    {
        ["model_type"] = "gpt2", ["n_embd"] = width, ["n_layer"] = layers, ["n_head"] = heads, ["vocab_size"] = vocab,
        ["n_positions"] = seq, ["tie_word_embeddings"] = true,
    }, "bench");
    var model = TransformerModel.Create(config, seed: 0);
    model.train();
    var optimizer = optim.AdamW(model.parameters(), 1e-4);
    var generator = new Generator(1);
    long embedding = (long)vocab * width + (long)seq * width;
    long nonEmbedding = model.ParameterCount() - embedding;
    // Per token: 6 FLOPs per weight that multiplies it (non-embedding weights and the tied LM head, forward and
    // backward), plus attention's QKᵀ and AV: 6·2·layers·seq·width (PaLM's MFU accounting, causal mask not subtracted).
    double flopsPerToken = 6.0 * (nonEmbedding + (long)vocab * width) + 12.0 * layers * seq * width;

    double Step()
    {
        using var scope = NewDisposeScope();
        var ids = randint(0, vocab, [batch, seq + 1], generator: generator);
        var logits = model.Forward(ids[.., ..seq]);
        var loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), ids[.., 1..].reshape(-1));
        loss.backward();
        optimizer.step();
        optimizer.zero_grad();
        return loss.item<float>();
    }
    for (int i = 0; i < 3; i++) Step();  // warm up allocator and kernels
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < steps; i++) Step();
    double seconds = watch.Elapsed.TotalSeconds / steps;
    double tokensPerSecond = batch * seq / seconds;
    double flops = tokensPerSecond * flopsPerToken;
    optimizer.Dispose();
    model.Dispose();
    return string.Create(CultureInfo.InvariantCulture,
        $"| {width} | {layers} | {heads} | {nonEmbedding:N0} | {batch} × {seq} | {seconds * 1000:F0} | {tokensPerSecond:N0} | {flops / 1e9:F1} | {flops / peak:P1} |");
}

/// <summary>Seconds since the start at each progress report, recorded on the reporting thread.</summary>
sealed class Marks(List<double> marks, Stopwatch watch) : IProgress<(int Done, int Total)>
{
    public void Report((int Done, int Total) value) => marks.Add(watch.Elapsed.TotalSeconds);
}
