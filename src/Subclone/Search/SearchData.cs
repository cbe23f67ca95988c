using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Training;

namespace Subclone.Search;

/// <summary>
/// What a search measures candidates on, by the parent's kind: the calibration batches the one importance pass
/// reads, and the task every candidate is scored (at init) and probed (trained) with, so both numbers are the
/// project's own validation metric on the same held-out set: next-token loss for decoders, 1 − cosine to the
/// parent's sentence embeddings for BERT.
/// </summary>
public abstract class SearchData : IDisposable
{
    /// <summary>The batches the parent is calibrated on (once for every candidate).</summary>
    public abstract IReadOnlyList<ModelBatch> Calibration { get; }

    /// <summary>Where the calibration batches came from.</summary>
    public abstract string Source { get; }

    /// <summary>What <see cref="TrainingTask.Evaluate"/> of a task measures.</summary>
    public abstract ValidationMetric Metric { get; }

    /// <summary>A task training <paramref name="child"/> (whose residual dims stand for the parent's <paramref name="dims"/>)
    /// on the same batches, in the same order, for every candidate: the sampler is seeded by <paramref name="options"/>' seed.</summary>
    public abstract TrainingTask Task(TransformerModel child, int[] dims, TrainingOptions options);

    /// <summary>Frees the batches the data holds.</summary>
    public abstract void Dispose();

    /// <summary>A decoder's data: next tokens of a token file, calibrated on fixed windows of its training split
    /// (as compare does) unless <paramref name="calibration"/> is given. The data owns the calibration batches, and
    /// the token file too with <paramref name="ownsTokens"/>.</summary>
    public static SearchData Decoder(TokenDataset tokens, TrainingOptions options, IReadOnlyList<ModelBatch>? calibration = null, string? source = null,
        bool ownsTokens = false) =>
        new DecoderData(tokens, options, calibration, source, ownsTokens);

    /// <summary>A BERT parent's data: sentences of <paramref name="documents"/>, a seeded tenth held out for validation
    /// (<see cref="DistillationSentences"/>, as compare splits them), the child distilled toward <paramref name="parent"/>'s sentence embeddings. The data owns
    /// the calibration batches.</summary>
    public static SearchData Encoder(TransformerModel parent, IEncoderTokenizer tokenizer, IReadOnlyList<string> documents, TrainingOptions options,
        IReadOnlyList<ModelBatch>? calibration = null, string? source = null) =>
        new EncoderData(parent, tokenizer, documents, options, calibration, source);

    sealed class DecoderData : SearchData
    {
        readonly TokenDataset _tokens;
        readonly bool _ownsTokens;

        public DecoderData(TokenDataset tokens, TrainingOptions options, IReadOnlyList<ModelBatch>? calibration, string? source, bool ownsTokens)
        {
            _tokens = tokens;
            _ownsTokens = ownsTokens;
            var batcher = new TokenBatcher(tokens, options.BatchSize, options.SequenceLength, unchecked((ulong)options.Seed) ^ 0xCA11B);
            Calibration = calibration ?? batcher.FixedWindows(tokens.Train, 8);
            Source = source ?? string.Join(",", tokens.Info.Inputs);
        }

        public override IReadOnlyList<ModelBatch> Calibration { get; }
        public override string Source { get; }
        public override ValidationMetric Metric => ValidationMetric.NextTokenLoss;

        public override TrainingTask Task(TransformerModel child, int[] dims, TrainingOptions options) =>
            new LanguageModelTask(child, new TokenBatcher(_tokens, options.BatchSize, options.SequenceLength, unchecked((ulong)options.Seed)), options);

        public override void Dispose()
        {
            foreach (var batch in Calibration) batch.Dispose();
            if (_ownsTokens) _tokens.Dispose();
        }
    }

    sealed class EncoderData : SearchData
    {
        readonly TransformerModel _parent;
        readonly List<ModelBatch> _train, _validation;
        readonly IReadOnlyList<ModelBatch>? _calibration;

        public EncoderData(TransformerModel parent, IEncoderTokenizer tokenizer, IReadOnlyList<string> documents, TrainingOptions options,
            IReadOnlyList<ModelBatch>? calibration, string? source)
        {
            _parent = parent;
            (_train, _validation) = DistillationSentences.Split(documents, tokenizer, parent.Config.MaxPositions, options);
            _calibration = calibration;
            Calibration = calibration ?? _train.Take(8).ToList();
            Source = source ?? "training sentences";
        }

        public override IReadOnlyList<ModelBatch> Calibration { get; }
        public override string Source { get; }
        public override ValidationMetric Metric => ValidationMetric.EmbeddingDistance;

        public override TrainingTask Task(TransformerModel child, int[] dims, TrainingOptions options) =>
            new EmbeddingDistillationTask(child, _parent, dims, _train, _validation, options);

        public override void Dispose()
        {
            foreach (var batch in _train.Concat(_validation).Concat(_calibration ?? [])) batch.Dispose();
        }
    }
}
