using System.CommandLine;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Gguf;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone export MODEL (--gguf FILE | --out DIR): a decoder as one GGUF file for llama.cpp (and the tools built
/// on it), or the model as a Hugging Face directory in another dtype or shard size, written as clone writes one.
/// </summary>
public static class ExportCommand
{
    public static Command Create(CliIo io)
    {
        var modelArg = new Argument<string>("MODEL") { Description = "A Hugging Face model directory (e.g. a child from clone), a llama2.c .bin or a Hub id" };
        var gguf = new Option<string?>("--gguf") { Description = "Write one GGUF v3 file (llama.cpp's tensor names, metadata and vocabulary)" };
        var output = new Option<string?>("--out") { Description = "Write a Hugging Face directory instead" };
        var dtype = new Option<string?>("--dtype") { Description = "GGUF: f32 (default), f16, bf16 or q8_0; --out: f32 (default), f16 or bf16" };
        var shardSize = new Option<string>("--shard-size") { Description = "--out: largest shard, e.g. 2GB", DefaultValueFactory = _ => "5GB" };
        var force = new Option<bool>("--force") { Description = "Replace the output if it exists" };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary" };
        var command = new Command("export", "Convert a model for another runtime: GGUF for llama.cpp, or an HF directory in another dtype / shard size")
            { modelArg, gguf, output, dtype, shardSize, force, json };
        command.SetAction(r => io.Guard(() =>
        {
            string? ggufPath = r.GetValue(gguf), outDir = r.GetValue(output);
            if ((ggufPath is null) == (outDir is null)) throw new UserInputException("export: give exactly one of --gguf FILE or --out DIR");
            // Options are checked before the model is loaded, so a typo costs nothing.
            string dtypeName = r.GetValue(dtype) ?? "f32";
            GgufTensorType ggufType = ggufPath is not null ? GgufDtype.Parse(dtypeName) : default;
            var hfType = outDir is not null ? HfDtype(dtypeName) : default;
            long maxShard = ByteSize.Parse(r.GetValue(shardSize)!, "--shard-size");

            string spec = r.GetValue(modelArg)!;
            var source = io.LoadModel(r, spec, quiet: r.GetValue(json));
            string origin = source.Directory ?? Path.GetDirectoryName(Path.GetFullPath(spec))!;
            JsonObject summary;
            if (ggufPath is not null)
            {
                var written = GgufExporter.Export(source.Model, origin, origin, ggufPath, ggufType, r.GetValue(force));
                if (written.Vocabulary == "placeholder")
                    io.Error.WriteLine($"subclone: warning: {origin} has no tokenizer files; the GGUF vocabulary is placeholder tokens (run it on token ids)");
                foreach (string warning in written.Warnings) io.Error.WriteLine($"subclone: warning: {warning}");
                summary = new JsonObject
                {
                    ["out"] = written.Path, ["format"] = "gguf", ["architecture"] = written.Architecture, ["dtype"] = dtypeName.ToLowerInvariant(),
                    ["tensors"] = written.Tensors, ["bytes"] = written.Bytes, ["vocabulary"] = written.Vocabulary,
                };
            }
            else
            {
                HfCheckpoint.Save(source.Model, outDir!, hfType, companionSource: source.Directory, overwrite: r.GetValue(force), maxShardBytes: maxShard);
                var files = Directory.GetFiles(outDir!, "*.safetensors");
                summary = new JsonObject
                {
                    ["out"] = Path.GetFullPath(outDir!), ["format"] = "hf", ["dtype"] = SafeTensorsDtype.TorchName(hfType),
                    ["shards"] = files.Length, ["bytes"] = files.Sum(f => new FileInfo(f).Length),
                };
            }
            if (r.GetValue(json)) io.WriteJson(summary);
            else io.Out.WriteLine($"wrote {summary["out"]} ({summary["format"]}, {summary["dtype"]}, {summary["bytes"]} bytes)");
            return 0;
        }));
        return command;
    }

    static TorchSharp.torch.ScalarType HfDtype(string name)
    {
        try { return SafeTensorsDtype.FromTorchName(name.ToLowerInvariant()); }
        catch (ArgumentException) { throw new UserInputException($"--dtype: '{name}' is not a safetensors dtype for --out (f32, f16, bf16)"); }
    }
}
