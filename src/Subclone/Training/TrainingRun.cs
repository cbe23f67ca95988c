using System.Globalization;
using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Images;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Training;

/// <summary>
/// A training run made ready from a <see cref="TrainingRequest"/>: the model chosen (a checkpoint to resume, a
/// config's random init, or a model), its data read and checked against a resumed run's (content hash, tokenizer),
/// and the <see cref="TrainingLoop"/> over the right task (next tokens for decoders, optionally distilled; labelled
/// images for ViT). Everything is checked before <see cref="TrainingRequest.OutDir"/> is touched.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    readonly List<IDisposable> _owned;

    TrainingRun(TrainingLoop loop, List<IDisposable> owned)
    {
        Loop = loop;
        _owned = owned;
    }

    /// <summary>The loop that trains the run.</summary>
    public TrainingLoop Loop { get; }
    /// <summary>The model trained.</summary>
    public TransformerModel Model => Loop.Task.Model;

    /// <summary>Trains (see <see cref="TrainingLoop.Run"/>): until the options' steps or <paramref name="cancel"/>.</summary>
    public TrainingSummary Run(IProgress<StepMetrics>? progress = null, CancellationToken cancel = default) => Loop.Run(progress, cancel);

    /// <summary>
    /// Prepares <paramref name="request"/>. <paramref name="loadModel"/> loads a model or Hub id (default
    /// <see cref="ModelSource.Load"/>; the CLI's shows download progress); <paramref name="status"/> receives
    /// one-line progress messages. Bad input is a one-line <see cref="UserInputException"/>.
    /// </summary>
    public static TrainingRun Prepare(TrainingRequest request, Func<string, ModelSource>? loadModel = null, Action<string>? status = null)
    {
        loadModel ??= spec => ModelSource.Load(spec);
        status ??= _ => { };
        string outDir = Path.GetFullPath(request.OutDir);
        var (model, options, checkpoint, source) = ChooseModel(request with { OutDir = outDir }, loadModel);
        if (model.Config.Family.Kind == FamilyKind.ImageClassifier) return PrepareImages(request with { OutDir = outDir }, model, options, checkpoint, source, status);
        if (request.ValidationData is not null || request.Augmentation is not null)
            throw new UserInputException("--val-data, --crop-padding and --flip are for image models (ViT)");
        return PrepareText(request with { OutDir = outDir }, model, options, checkpoint, source, loadModel, status);
    }

    /// <summary>The model and the run's options: from the checkpoint (resume), a config (random init) or a model.</summary>
    static (TransformerModel, TrainingOptions, TrainingCheckpoint?, ModelSource?) ChooseModel(TrainingRequest request, Func<string, ModelSource> loadModel)
    {
        string outDir = request.OutDir;
        if (request.Resume)
        {
            if (!Directory.Exists(outDir)) throw new UserInputException($"--resume: {outDir} does not exist");
            var checkpoint = TrainingCheckpoint.Load(outDir);
            var resumed = request.Options(checkpoint.State.Options);
            resumed.Validate();
            return (checkpoint.Model, resumed, checkpoint, null);
        }
        if (Directory.Exists(outDir) && !request.Force)
            throw new UserInputException($"{outDir} already exists (pass --resume to continue its run, or --force to replace it)");
        var options = request.Options(new TrainingOptions());
        options.Validate();
        if ((request.Model is null) == (request.ConfigPath is null)) throw new UserInputException("give a MODEL to train or --config for a random init (not both)");
        if (request.ConfigPath is string configPath)
        {
            if (!File.Exists(configPath)) throw new UserInputException($"--config {configPath}: no such file");
            var config = ModelConfig.Load(configPath);
            ModelBudget.RequireMemory(config, configPath);  // an absurd config is one line, not an allocation of terabytes
            return (TransformerModel.Create(config, options.Seed), options, null, null);
        }
        if (Path.GetFullPath(request.Model!) == outDir) throw new UserInputException("--out is the model being trained; pass --resume to continue a run, or another --out");
        var source = loadModel(request.Model!);
        return (source.Model, options, null, source);
    }

    /// <summary>A decoder on next tokens: the tokenizer the run reads text with, the token cache, and an optional teacher.</summary>
    static TrainingRun PrepareText(TrainingRequest request, TransformerModel model, TrainingOptions options, TrainingCheckpoint? checkpoint,
        ModelSource? source, Func<string, ModelSource> loadModel, Action<string> status)
    {
        var (tokenizer, tokenizerSource, companionSource) = FindTokenizer(request, model, checkpoint, source);
        if (!model.Config.IsDecoder) throw new UserInputException($"training {model.Config.ArchitectureName} is not supported yet; decoders (GPT-2, Llama) and ViT train");
        TokenizerResolver.CheckFits(tokenizer, model.Config, tokenizerSource);
        IReadOnlyList<string> dataPaths = request.Data
            ?? (checkpoint is null || checkpoint.State.DataInputs.SequenceEqual([DefaultCorpus.Name]) ? [] : checkpoint.State.DataInputs);

        status($"reading {(dataPaths.Count == 0 ? "the default corpus" : string.Join(", ", dataPaths))}");
        var tokens = TokenCache.Open(dataPaths, tokenizer, request.Cache, status: status);
        var owned = new List<IDisposable> { tokens };
        try
        {
            var info = tokens.Info;
            if (checkpoint?.State.DataSha256 is string sha && sha != info.ContentSha256)
                throw new UserInputException($"--resume: the training data changed since the checkpoint (content hash {sha[..12]}… is now {info.ContentSha256[..12]}…); it cannot continue exactly");
            if (checkpoint?.State.Tokenizer is string identity && identity != info.Tokenizer)
                throw new UserInputException($"--resume: the tokenizer differs from the run's ({identity})");
            status($"{info.Tokens:N0} tokens ({info.DtypeName}): {info.TrainTokens:N0} train, {info.ValidationTokens:N0} validation in {info.ValidationDocuments:N0} documents");
            var teacher = request.Teacher is string spec ? LoadTeacher(spec, model, loadModel) : null;

            var batcher = new TokenBatcher(tokens, options.BatchSize, options.SequenceLength, unchecked((ulong)options.Seed));
            var task = new LanguageModelTask(model, batcher, options) { Teacher = teacher };
            ReplaceOutDir(request, checkpoint);
            var initial = new TrainingState
            {
                Options = options, DataInputs = info.Inputs, DataSha256 = info.ContentSha256, Tokenizer = info.Tokenizer, TokenizerSource = tokenizerSource,
            };
            status($"training {model.Config.ArchitectureName} ({model.ParameterCount():N0} parameters) for {options.Steps} steps of {options.TokensPerStep:N0} tokens");
            return new TrainingRun(new TrainingLoop(task, request.OutDir, checkpoint, companionSource, initial), owned);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>The tokenizer, where it came from (recorded for resume), and the directory whose tokenizer files go
    /// into checkpoints: a resumed run's own, the files beside a config, --tokenizer, or the model's.</summary>
    static (ITextTokenizer, string Source, string? Companion) FindTokenizer(TrainingRequest request, TransformerModel model,
        TrainingCheckpoint? checkpoint, ModelSource? source)
    {
        int vocab = model.Config.Vocab;
        if (checkpoint is not null)
        {
            // The tokenizer the run started with, so the token cache and its ids are the same ones; the run
            // directory's own tokenizer files are carried from checkpoint to checkpoint.
            string saved = request.TokenizerPath ?? checkpoint.State.TokenizerSource ?? request.OutDir;
            if (!Path.Exists(saved)) saved = request.OutDir;
            return (TokenizerResolver.Load(saved, vocab), saved, null);
        }
        if (request.ConfigPath is string configPath)
        {
            string path = Path.GetFullPath(request.TokenizerPath ?? Path.GetDirectoryName(Path.GetFullPath(configPath))!);
            return (TokenizerResolver.Load(path, vocab), path, TokenizerResolver.CompanionDirectory(path));
        }
        string tokenizerSource = Path.GetFullPath(request.TokenizerPath ?? request.Model!);
        if (request.TokenizerPath is string given)
            return (TokenizerResolver.Load(given, vocab), tokenizerSource, TokenizerResolver.CompanionDirectory(given) ?? source!.Directory);
        var own = source!.Tokenizer ?? throw new UserInputException($"{request.Model} has no tokenizer files; pass --tokenizer");
        return (own, tokenizerSource, source.Directory);
    }

    static TransformerModel LoadTeacher(string spec, TransformerModel model, Func<string, ModelSource> loadModel)
    {
        var teacher = loadModel(spec).Model;
        if (teacher.Config.Vocab != model.Config.Vocab || !teacher.Config.IsDecoder)
            throw new UserInputException($"--distill {spec}: needs a decoder with the child's vocabulary ({model.Config.Vocab}), not {teacher.Config.ArchitectureName} with {teacher.Config.Vocab}");
        teacher.eval();
        return teacher;
    }

    /// <summary>A ViT on labelled images, validated on --val-data or a seeded tenth of --data.</summary>
    static TrainingRun PrepareImages(TrainingRequest request, TransformerModel model, TrainingOptions options, TrainingCheckpoint? checkpoint,
        ModelSource? source, Action<string> status)
    {
        if (request.Data is { Count: > 1 }) throw new UserInputException("a ViT trains on one image source: give --data one IDX images file or one folder per class");
        string trainPath = request.Data is { Count: 1 } ? Path.GetFullPath(request.Data[0])
            : checkpoint?.State.DataInputs.FirstOrDefault() ?? throw new UserInputException($"a ViT trains on labelled images: give --data {ImageSources.Expected}");
        string? validationPath = request.ValidationData is string v ? Path.GetFullPath(v) : checkpoint?.State.ValidationInput;
        var augmentation = request.Augmentation ?? checkpoint?.State.Augmentation ?? ImageAugmentation.None;
        string? companion = checkpoint is not null ? null
            : request.ConfigPath is string configPath ? Path.GetDirectoryName(Path.GetFullPath(configPath)) : source!.Directory;

        var transform = ImageTransform.For(model.Config);
        status($"reading {trainPath}");
        var owned = new List<IDisposable>();
        try
        {
            var all = ImageSources.Load(trainPath, transform);
            owned.Add(all);
            string contentHash = all.ContentSha256();
            if (checkpoint?.State.DataSha256 is string sha && sha != contentHash)
                throw new UserInputException($"--resume: the training images changed since the checkpoint (content hash {sha[..12]}… is now {contentHash[..12]}…); it cannot continue exactly");
            var (train, validation) = Split(all, validationPath, transform, options.Seed, owned);
            var task = new ImageClassificationTask(model, train, validation, options, augmentation);
            ReplaceOutDir(request, checkpoint);
            var initial = new TrainingState
            {
                Options = options, DataInputs = [trainPath], DataSha256 = contentHash, ValidationInput = validationPath, Augmentation = augmentation,
            };
            double epochs = (double)options.Steps * options.BatchSize / train.Count;
            status(string.Format(CultureInfo.InvariantCulture, "training {0} ({1:N0} parameters) for {2} steps of {3} images ({4:F1} epochs of {5:N0}); validating on {6:N0} images{7}",
                model.Config.ArchitectureName, model.ParameterCount(), options.Steps, options.BatchSize, epochs, train.Count, validation.Count,
                validationPath is null ? " held out from --data" : ""));
            return new TrainingRun(new TrainingLoop(task, request.OutDir, checkpoint, companion, initial), owned);
        }
        catch
        {
            foreach (var d in owned) d.Dispose();
            throw;
        }
    }

    /// <summary>The training and validation images: <paramref name="validationPath"/>'s, or a seeded tenth held out.</summary>
    static (ImageDataset Train, ImageDataset Validation) Split(ImageDataset all, string? validationPath, ImageTransform transform, long seed, List<IDisposable> owned)
    {
        if (validationPath is not null)
        {
            var given = ImageSources.Load(validationPath, transform);
            owned.Add(given);
            return (all, given);
        }
        var split = ImageSplit.HoldOut(all, seed);
        owned.Add(split);
        return (split.Train, split.Validation);
    }

    /// <summary>--force on a fresh run: the old directory goes only once everything has been checked.</summary>
    static void ReplaceOutDir(TrainingRequest request, TrainingCheckpoint? checkpoint)
    {
        if (request.Force && checkpoint is null && Directory.Exists(request.OutDir)) Directory.Delete(request.OutDir, recursive: true);
    }

    /// <summary>Frees the loop, the token cache or the image sets (the model belongs to the caller).</summary>
    public void Dispose()
    {
        Loop.Dispose();
        foreach (var d in _owned) d.Dispose();
    }
}
