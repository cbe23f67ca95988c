using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Cloning;

/// <summary>
/// Calibration batches and held-out evaluation batches from one text source, tokenised with the parent's
/// tokenizer. Documents are shuffled with the seed and split 90/10, so evaluation never sees calibration text.
/// </summary>
public sealed record CalibrationData(List<CalibrationBatch> Calibration, List<CalibrationBatch> HeldOut, string Source)
{
    /// <summary>
    /// Calibration and held-out batches for <paramref name="parent"/>, from text files or folders (<paramref name="paths"/>; empty: the default corpus):
    /// <paramref name="samples"/> windows (decoders) or sentences (encoders) of <paramref name="length"/> tokens, drawn with <paramref name="seed"/>.
    /// </summary>
    public static CalibrationData Prepare(ModelSource parent, IReadOnlyList<string> paths, int samples, int length, long seed, int heldOutSamples = 16) =>
        Prepare(parent.Tokenizer, parent.Model.Config, parent.Origin, paths, samples, length, seed, heldOutSamples);

    /// <summary>Calibration text for a parent known by its config and tokenizer only (one read from disk block by block).</summary>
    public static CalibrationData Prepare(ITextTokenizer? tokenizer, ModelConfig config, string origin, IReadOnlyList<string> paths,
        int samples, int length, long seed, int heldOutSamples = 16)
    {
        if (config.Family.Kind == FamilyKind.ImageClassifier)
            return PrepareImages(config, origin, paths, samples, seed, heldOutSamples);
        string source = paths.Count == 0 ? DefaultCorpus.Name : string.Join(",", paths);
        var documents = TextCorpus.Load(paths);
        var random = new Random((int)(seed ^ (seed >> 32)));
        documents = documents.OrderBy(_ => random.Next()).ToList();
        int heldOutCount = Math.Max(1, documents.Count / 10);
        var heldOutDocs = documents.GetRange(documents.Count - heldOutCount, heldOutCount);
        var calibrationDocs = documents.GetRange(0, documents.Count - heldOutCount);
        if (calibrationDocs.Count == 0) calibrationDocs = heldOutDocs;

        if (tokenizer is null)
            throw new UserInputException($"{origin} has no tokenizer to read calibration text with (a synthetic parent can calibrate on --calib-random-ids)");
        int length2 = Math.Min(length, config.MaxPositions);
        if (config.IsDecoder)
        {
            int needed = (samples + 1) * (length2 + 1) * 2;
            var calibTokens = CalibrationSampler.TokenStream(calibrationDocs, tokenizer, needed);
            var heldTokens = CalibrationSampler.TokenStream(heldOutDocs, tokenizer, (heldOutSamples + 1) * (length2 + 1) * 2);
            int heldLength = Math.Min(length2, heldTokens.Count - 1);
            return new CalibrationData(
                CalibrationSampler.DecoderWindows(calibTokens, samples, length2, 8, seed),
                CalibrationSampler.DecoderWindows(heldTokens, heldOutSamples, heldLength, 8, seed + 1),
                source);
        }
        if (tokenizer is not IEncoderTokenizer encoder)
            throw new UserInputException($"{origin}: the encoder's tokenizer cannot add [CLS]/[SEP]");
        return new CalibrationData(
            CalibrationSampler.EncoderSentences(calibrationDocs, encoder.EncodeForModel, samples, length2, 16, seed),
            CalibrationSampler.EncoderSentences(heldOutDocs, encoder.EncodeForModel, heldOutSamples, length2, 16, seed + 1),
            source);
    }

    /// <summary>Image models calibrate on images: an IDX images file (labels beside it), shuffled with the seed and
    /// split 90/10, the held-out part with labels for accuracy.</summary>
    static CalibrationData PrepareImages(ModelConfig config, string origin, IReadOnlyList<string> paths, int samples, long seed, int heldOutSamples)
    {
        if (paths.Count != 1 || !Data.Images.ImageSources.IsImageData(paths[0]))
            throw new UserInputException($"{origin} is an image model: give --calib {Data.Images.ImageSources.Expected}");
        using var images = Data.Images.ImageSources.Load(paths[0], Data.Images.ImageTransform.For(config));
        var random = new Random((int)(seed ^ (seed >> 32)));
        var order = Enumerable.Range(0, images.Count).OrderBy(_ => random.Next()).ToList();
        int heldOut = Math.Min(heldOutSamples, Math.Max(1, images.Count / 10));
        var calibration = order.Take(Math.Min(samples, images.Count - heldOut)).ToList();
        var held = order.Skip(images.Count - heldOut).ToList();
        List<CalibrationBatch> Batches(List<int> indices) => indices.Chunk(32).Select(chunk =>
        {
            var batch = images.Batch(chunk);
            return new CalibrationBatch(batch.Pixels, null, batch.Labels);
        }).ToList();
        return new CalibrationData(Batches(calibration), Batches(held), paths[0]);
    }

    /// <summary>Random token ids instead of text (<see cref="CalibrationSampler.RandomIds"/>), for parents without a
    /// tokenizer such as those <c>subclone init</c> writes. Held-out batches use the next seed.</summary>
    public static CalibrationData RandomIds(ModelConfig config, int samples, int length, long seed, int heldOutSamples = 16)
    {
        if (samples <= 0 || length <= 0) throw new UserInputException($"random calibration needs positive sizes, got {samples}×{length}");
        int length2 = Math.Min(length, config.MaxPositions);
        return new CalibrationData(
            CalibrationSampler.RandomIds(config.Vocab, samples, length2, 8, seed),
            CalibrationSampler.RandomIds(config.Vocab, heldOutSamples, length2, 8, seed + 1),
            $"random-ids:{samples}x{length2}");
    }
}
