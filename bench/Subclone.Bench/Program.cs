using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Subclone.Models;
using TorchSharp;
using static TorchSharp.torch;

// Training throughput and model FLOPs utilisation (MFU) of GPT-2-style models on this machine, against the
// fp32 matmul peak measured by this same process. Usage: dotnet run -c Release --project bench/Subclone.Bench [-- --steps N]
// Prints a Markdown table for docs/benchmarks.md.
int steps = args.Length >= 2 && args[0] == "--steps" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
torch.set_num_threads(Subclone.Training.Trainer.Threads());  // every core unless OMP_NUM_THREADS says otherwise
var invariant = CultureInfo.InvariantCulture;

double peak = MatmulPeak();
var report = new StringBuilder();
report.AppendLine($"Machine: {Environment.ProcessorCount} cores, {CpuModel()}; torch threads {torch.get_num_threads()}; TorchSharp {typeof(torch).Assembly.GetName().Version}.");
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
