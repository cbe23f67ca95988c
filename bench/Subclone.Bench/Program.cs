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
//   --cloning          wall time (calibration / planning+slicing / writing) and peak memory of subcloning random
//                      GPT-2-small- (124M) and GPT-2-medium-shaped (355M) parents to half size, each in its own
//                      process so peak RSS (VmHWM) is that clone's alone;
//   --inference        greedy `generate` tokens/s (KV cache, no cache, llama.cpp on the same GGUF weights) for
//                      stories260K (../shared), a 124M-shaped GPT-2 and a 124M-shaped Llama (GenerationBench.cs);
//   --memory           resident memory every 100 steps of a 1000-step training run.
// Usage: dotnet run -c Release --project bench/Subclone.Bench -- [--all | --steps N | --cloning | --inference | --memory]
torch.set_num_threads(Subclone.Training.TrainingLoop.Threads());  // every core unless OMP_NUM_THREADS says otherwise
var invariant = CultureInfo.InvariantCulture;
string machine = $"Machine: {Environment.ProcessorCount} cores, {CpuModel()}; torch threads {torch.get_num_threads()}; TorchSharp {typeof(torch).Assembly.GetName().Version}.";

if (args.Length >= 2 && args[0] == "--clone-one") { Console.WriteLine(CloneOne(args[1])); return; }
if (args.Contains("--all"))
{
    // Every benchmark in one go, each in its own process (peak memory and thread state stay separate).
    foreach (string mode in new[] { "--steps", "--cloning", "--inference", "--memory" })
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Subclone.Bench.dll"));
        start.ArgumentList.Add(mode);
        if (mode == "--steps") start.ArgumentList.Add("10");
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
    Console.WriteLine("| parent | parent params | child | calibration (64 × 256 tokens) | plan + slice | write | total | peak RSS |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|");
    foreach (string shape in new[] { "124M", "355M" })
    {
        // A fresh process per parent: VmHWM is a high-water mark, so it must start from zero.
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(Generator).Assembly.Location == "" ? "" : Path.Combine(AppContext.BaseDirectory, "Subclone.Bench.dll"));
        start.ArgumentList.Add("--clone-one");
        start.ArgumentList.Add(shape);
        using var child = Process.Start(start)!;
        Console.WriteLine(child.StandardOutput.ReadToEnd().Trim());
        child.WaitForExit();
    }
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

static ModelConfig Gpt2Config(int width, int layers, int heads, int vocab, int positions) => ModelConfig.Parse(new JsonObject
{
    ["model_type"] = "gpt2", ["n_embd"] = width, ["n_layer"] = layers, ["n_head"] = heads, ["vocab_size"] = vocab,
    ["n_positions"] = positions, ["tie_word_embeddings"] = true,
}, "bench");

/// One clone, timed by phase; the process's peak RSS at the end is the clone's.
static string CloneOne(string shape)
{
    var config = shape == "124M" ? Gpt2Config(768, 12, 12, 50257, 1024) : Gpt2Config(1024, 24, 16, 50257, 1024);
    var parent = TransformerModel.Create(config, seed: 0);
    var generator = new Generator(1);
    var batches = Enumerable.Range(0, 8).Select(_ => new ModelBatch(randint(0, config.Vocab, [8, 256], generator: generator))).ToList();
    var watch = Stopwatch.StartNew();
    var scores = Calibrator.Measure(parent, batches, "random ids", 0);
    double calibration = watch.Elapsed.TotalSeconds;
    watch.Restart();
    var target = new CloneTarget(Hidden: config.Hidden / 2, Heads: config.Heads / 2, Ffn: config.Ffn / 2, Layers: config.Layers / 2);
    var child = Subcloner.Clone(parent, target, scores, new CloneOptions()).Child;
    double slicing = watch.Elapsed.TotalSeconds;
    watch.Restart();
    string outDir = Path.Combine(Path.GetTempPath(), $"subclone-bench-{shape}-{Environment.ProcessId}");
    HfCheckpoint.Save(child, outDir, ScalarType.Float32, overwrite: true);
    double writing = watch.Elapsed.TotalSeconds;
    Directory.Delete(outDir, recursive: true);
    long peakKb = File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:")).Select(l => long.Parse(l.Split(':')[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture)).FirstOrDefault();
    var c = child.Config;
    return string.Create(CultureInfo.InvariantCulture,
        $"| GPT-2 {shape}-shaped ({config.Layers} × {config.Hidden}) | {parent.ParameterCount():N0} | {c.Layers} × {c.Hidden}, {c.Heads} heads, FFN {c.Ffn} ({child.ParameterCount():N0}) | {calibration:F1} s | {slicing:F1} s | {writing:F1} s | {calibration + slicing + writing:F1} s | {peakKb / 1048576.0:F2} GB |");
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
