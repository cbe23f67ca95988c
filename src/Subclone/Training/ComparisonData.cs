using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Images;
using Subclone.Data.Tokenizers;
using Subclone.Models.Families;

namespace Subclone.Training;

/// <summary>What a comparison trains on, as <c>subclone compare</c>'s options say it; which of it applies depends on
/// the parent (text for decoders and encoders, labelled images for ViT).</summary>
public sealed record ComparisonData
{
    /// <summary>Training text files or folders (empty: the default corpus), or for a ViT one labelled image source.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];
    /// <summary>ViT: validation images (null: a seeded tenth of the training images).</summary>
    public string? ValidationImages { get; init; }
    /// <summary>Decoders: the tokenizer to read the text with (null: the parent's).</summary>
    public string? TokenizerPath { get; init; }
    /// <summary>Decoders: the token cache directory (null: the default).</summary>
    public string? Cache { get; init; }
}

public static partial class Comparison
{
    /// <summary>
    /// Reads <paramref name="data"/> the way <paramref name="parent"/>'s kind trains (next tokens for decoders,
    /// sentence embeddings for BERT, labelled images for ViT), replaces <paramref name="outDir"/> once the data is
    /// read, and runs the comparison (<see cref="Run"/>, <see cref="RunEncoder"/>, <see cref="RunImages"/>).
    /// </summary>
    public static ComparisonOutcome RunFor(ModelSource parent, ComparisonData data, ComparisonPlan plan, string outDir,
        Action<string>? status = null, ChildRunner? runChild = null, CancellationToken cancel = default)
    {
        plan.Validate();
        var config = parent.Model.Config;
        if (config.Family.Kind != FamilyKind.ImageClassifier && data.ValidationImages is not null) throw new UserInputException("--val-data is for image models (ViT)");
        string source = data.Paths.Count == 0 ? "the default corpus" : string.Join(", ", data.Paths);
        switch (config.Family.Kind)
        {
            case FamilyKind.ImageClassifier:
            {
                RefuseDistillationOfImages(plan);
                if (data.Paths.Count != 1)
                    throw new UserInputException($"{parent.Origin} is an image model: give --data one labelled image source: {ImageSources.Expected}");
                var transform = ImageTransform.For(config);
                status?.Invoke($"reading {source}");
                using var images = ImageSources.Load(data.Paths[0], transform);
                using var validation = data.ValidationImages is string v ? ImageSources.Load(v, transform) : null;
                ReplaceDirectory(outDir);
                return RunImages(parent, images, plan with { Training = plan.Training with { SequenceLength = 1 } }, outDir, status, runChild, validation, cancel);
            }
            case FamilyKind.Encoder:
            {
                status?.Invoke($"reading {source}");
                var documents = TextCorpus.Load(data.Paths);
                ReplaceDirectory(outDir);
                return RunEncoder(parent, documents, plan, outDir, status, runChild, cancel);
            }
            default:
            {
                var tokenizer = data.TokenizerPath is string path
                    ? TokenizerResolver.CheckFits(TokenizerResolver.Load(path, config.Vocab), config, path)
                    : parent.Tokenizer ?? throw new UserInputException($"{parent.Origin} has no tokenizer to read the training text with; pass --tokenizer");
                status?.Invoke($"reading {source}");
                using var tokens = TokenCache.Open(data.Paths, tokenizer, data.Cache, status: status);
                ReplaceDirectory(outDir);
                return Run(parent, tokens, plan, outDir, status, runChild, cancel);
            }
        }
    }

    static void ReplaceDirectory(string outDir)
    {
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
    }
}
