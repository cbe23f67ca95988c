using System.Diagnostics;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone init --config config.json --out DIR: a randomly initialised Hugging Face checkpoint, written shard by
/// shard without building the model, so parents larger than memory can be made for testing and benchmarks.
/// </summary>
public static class InitCommand
{
    public static Command Create(CliIo io)
    {
        var config = new Option<string>("--config") { Description = "A Hugging Face config.json giving the architecture and shape", Required = true };
        var output = new Option<string>("--out") { Description = "Directory to write the checkpoint to", Required = true };
        var dtype = new Option<string?>("--dtype") { Description = "Stored dtype: f32, f16 or bf16 (default: the config's torch_dtype, else f32)" };
        var seed = new Option<long>("--seed") { Description = "Seed; each tensor's generator is seeded from it and the tensor's name", DefaultValueFactory = _ => 0 };
        var shardSize = new Option<string>("--shard-size") { Description = "Largest shard, e.g. 2GB (Hugging Face's default is 5GB)", DefaultValueFactory = _ => "5GB" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var json = new Option<bool>("--json") { Description = "Print {\"out\",\"params\",\"bytes\",\"shards\",\"seconds\"}" };
        var command = new Command("init", "Write a randomly initialised checkpoint of a config, tensor by tensor (never holding the whole model)")
            { config, output, dtype, seed, shardSize, force, json };
        command.SetAction(r => io.Guard(() =>
        {
            var watch = Stopwatch.StartNew();
            long maxShard = ByteSize.Parse(r.GetValue(shardSize)!, "--shard-size");
            var modelConfig = ModelConfig.Load(r.GetValue(config)!);
            var storeDtype = r.GetValue(dtype) is string d ? SafeTensorsDtype.FromTorchName(d)
                : modelConfig.Raw["torch_dtype"] is JsonValue v && v.TryGetValue<string>(out var named) && TryDtype(named, out var fromConfig) ? fromConfig
                : TorchSharp.torch.ScalarType.Float32;
            string outDir = r.GetValue(output)!;
            long parameters = Progress.Run(io, r.GetValue(json), "writing tensors", TransformerModel.ParameterShapes(modelConfig).Count,
                p => RandomCheckpoint.Write(modelConfig, outDir, storeDtype, r.GetValue(seed), maxShard, r.GetValue(force), p));

            var files = Directory.GetFiles(outDir, "*.safetensors");
            var summary = new JsonObject
            {
                ["out"] = Path.GetFullPath(outDir),
                ["params"] = parameters,
                ["bytes"] = files.Sum(f => new FileInfo(f).Length),
                ["shards"] = files.Length,
                ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
            };
            if (r.GetValue(json)) io.WriteJson(summary);
            else io.Out.WriteLine($"wrote {summary["out"]} ({modelConfig.ArchitectureName}, {parameters:N0} parameters, {files.Length} shard(s), {SafeTensorsDtype.TorchName(storeDtype)})");
            return 0;
        }));
        return command;
    }

    static bool TryDtype(string name, out TorchSharp.torch.ScalarType type)
    {
        try { type = SafeTensorsDtype.FromTorchName(name); return true; }
        catch (ArgumentException) { type = default; return false; }
    }
}
