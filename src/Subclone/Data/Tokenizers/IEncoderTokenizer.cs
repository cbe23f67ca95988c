namespace Subclone.Data.Tokenizers;

/// <summary>A tokenizer for encoder models, which wrap each input in special tokens ([CLS] … [SEP]).</summary>
public interface IEncoderTokenizer : ITextTokenizer
{
    /// <summary>Ids ready for the model: special tokens added, truncated to <paramref name="maxLength"/>.</summary>
    IReadOnlyList<int> EncodeForModel(string text, int maxLength);
}
