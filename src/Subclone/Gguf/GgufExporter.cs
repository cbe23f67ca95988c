using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Models.Families;
using static TorchSharp.torch;

namespace Subclone.Gguf;

/// <summary>What an export wrote.</summary>
/// <param name="Path">The GGUF file.</param>
/// <param name="Architecture">general.architecture.</param>
/// <param name="Tensors">Tensors written.</param>
/// <param name="Bytes">File size.</param>
/// <param name="Vocabulary">"sentencepiece", "bpe" or "placeholder" (no tokenizer files: one placeholder token per id).</param>
/// <param name="Warnings">What the file carries only within some context (dynamic or LongRoPE rotary scaling), for the user.</param>
public sealed record GgufExportSummary(string Path, string Architecture, int Tensors, long Bytes, string Vocabulary, IReadOnlyList<string> Warnings);

/// <summary>
/// Writes a decoder as a GGUF file llama.cpp loads: the family's <see cref="GgufMapping"/> names and re-lays the
/// tensors, writes the architecture keys, and the tokenizer files beside the model become the vocabulary. Matrices
/// are stored as the requested type; 1-D tensors (norms, biases) and those the mapping marks stay float32, and a
/// Q8_0 matrix whose rows are not a multiple of 32 falls back to float16, as convert_hf_to_gguf.py does.
/// Written to a temporary name and renamed, so a refused or failed export leaves nothing.
/// </summary>
public static class GgufExporter
{
    /// <summary>Exports <paramref name="model"/>; <paramref name="tokenizerDirectory"/> holds its tokenizer files (null: none).</summary>
    /// <param name="model">The model.</param>
    /// <param name="origin">Names the model in errors (its directory).</param>
    /// <param name="tokenizerDirectory">Where tokenizer.model / vocab.json + merges.txt are looked for.</param>
    /// <param name="path">The .gguf file to write.</param>
    /// <param name="type">The type of the matrices.</param>
    /// <param name="overwrite">Replace an existing file.</param>
    public static GgufExportSummary Export(TransformerModel model, string origin, string? tokenizerDirectory, string path,
        GgufTensorType type, bool overwrite = false)
    {
        var config = model.Config;
        string configPath = System.IO.Path.Combine(origin, HfCheckpoint.ConfigFile);
        var mapping = config.Family.Gguf
            ?? throw new CheckpointException(configPath, $"model_type '{config.ModelType}' ({config.Family.Name}) has no llama.cpp architecture to export to GGUF");
        mapping.Validate?.Invoke(config, configPath);
        if (File.Exists(path) && !overwrite) throw new UserInputException($"{path}: already exists (use --force to replace it)");
        if (Directory.Exists(path)) throw new UserInputException($"{path}: is a directory");

        var metadata = new GgufMetadata().Add("general.architecture", mapping.Architecture);
        // llama.cpp sets token attributes by general.name ("phi3" looks up "</s>", "<|endoftext|>"…), which placeholder
        // vocabularies lack, so only a real vocabulary is named.
        if (GgufVocabulary.HasTokenizer(tokenizerDirectory))
            metadata.Add("general.name", System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(origin))));
        metadata
            .Add("general.alignment", GgufFile.Alignment)
            .Add("general.file_type", GgufDtype.FileType(type));
        if (type == GgufTensorType.Q8_0) metadata.Add("general.quantization_version", 2u);
        mapping.Metadata(config, metadata);
        string vocabulary = GgufVocabulary.Write(metadata, config, tokenizerDirectory, mapping);

        var state = model.state_dict();
        var plan = Plan(config, mapping, type, state);
        var extra = (mapping.ExtraTensors?.Invoke(config) ?? []).ToDictionary(t => t.Name, t => t.Value);
        foreach (var (name, value) in extra) plan.Add(new(new(name, value.shape, TypeFor(name, value.shape, NoRule, type)), [name], NoRule));
        AtomicFile.Write(path, temp =>
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            GgufFile.Write(file, metadata, plan.Select(p => p.Info).ToList(), info =>
            {
                var entry = plan.First(p => ReferenceEquals(p.Info, info));
                using var scope = NewDisposeScope();
                var tensor = entry.Sources.Count == 1 && extra.TryGetValue(entry.Sources[0], out var computed)
                    ? computed
                    : Stack(entry.Sources.Select(source => LaidOut(config, entry.Rule, state[source].detach())).ToList(), entry.Stacked);
                float[] values = tensor.to(ScalarType.Float32).contiguous().data<float>().ToArray();
                return GgufEncoding.Encode(values, info.Type);
            });
        });
        foreach (var t in extra.Values) t.Dispose();
        return new(System.IO.Path.GetFullPath(path), mapping.Architecture, plan.Count, new FileInfo(path).Length, vocabulary,
            GgufRope.Warnings(config).ToList());
    }

    /// <summary>One GGUF tensor: the HF parameters it is made of (several: one per expert, stacked) and its rule.</summary>
    sealed record Entry(GgufTensorInfo Info, List<string> Sources, GgufTensorRule Rule, bool Stacked = false);

    static Tensor LaidOut(ModelConfig config, GgufTensorRule rule, Tensor t) => rule.Relayout is { } relayout ? relayout(config, t) : t;

    static Tensor Stack(List<Tensor> slices, bool stacked) => stacked ? stack(slices) : slices[0];

    /// <summary>Each GGUF tensor with the HF parameters it comes from and its rule, in the model's parameter order
    /// (a stacked expert tensor where its first expert is).</summary>
    static List<Entry> Plan(ModelConfig config, GgufMapping mapping, GgufTensorType type, Dictionary<string, Tensor> state)
    {
        var plan = new List<Entry>();
        var stacks = new Dictionary<string, (Entry Entry, SortedDictionary<int, string> Experts)>(StringComparer.Ordinal);
        foreach (var shape in config.Family.Shapes(config))
        {
            var (name, rule, expert) = mapping.Map(shape.Name)
                ?? throw new InvalidOperationException($"GGUF mapping '{mapping.Architecture}' has no rule for {shape.Name}");
            long[] dims = shape.Shape;
            if (rule.Relayout is { } relayout)
                using (var laidOut = relayout(config, state[shape.Name].detach())) dims = laidOut.shape;  // a transpose swaps them
            if (expert is int e)
            {
                if (!stacks.TryGetValue(name, out var stackOf))
                {
                    stackOf = (new(new(name, dims, type), [], rule, Stacked: true), new());
                    stacks[name] = stackOf;
                    plan.Add(stackOf.Entry);
                }
                stackOf.Experts[e] = shape.Name;
                continue;
            }
            plan.Add(new(new(name, dims, TypeFor(name, dims, rule, type)), [shape.Name], rule));
            if (mapping.WritesTiedOutput && config.TieWordEmbeddings && name == "token_embd.weight")
                plan.Add(new(new("output.weight", dims, TypeFor("output.weight", dims, rule, type)), [shape.Name], rule));
        }
        // A stacked tensor's shape is known once its experts are counted: [experts, slice…].
        for (int i = 0; i < plan.Count; i++)
            if (plan[i].Stacked && stacks.TryGetValue(plan[i].Info.Name, out var s))
            {
                if (s.Experts.Keys.Select((k, j) => k != j).Any(gap => gap))
                    throw new InvalidOperationException($"{plan[i].Info.Name}: experts {string.Join(",", s.Experts.Keys)} are not 0..n-1");
                long[] dims = [s.Experts.Count, .. plan[i].Info.Shape];
                plan[i] = plan[i] with { Info = new(plan[i].Info.Name, dims, TypeFor(plan[i].Info.Name, dims, plan[i].Rule, type)), Sources = [.. s.Experts.Values] };
            }
        return plan;
    }

    static readonly GgufTensorRule NoRule = new("", "");

    static GgufTensorType TypeFor(string name, long[] shape, GgufTensorRule rule, GgufTensorType type)
    {
        if (shape.Length <= 1 || rule.AlwaysF32 || name.EndsWith("_norm.weight", StringComparison.Ordinal)) return GgufTensorType.F32;
        if (type == GgufTensorType.Q8_0 && shape[^1] % GgufEncoding.Q8Block != 0) return GgufTensorType.F16;
        return type;
    }
}
