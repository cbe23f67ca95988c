using System.Buffers.Binary;

namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// A cursor over one protobuf message's bytes. Every length is checked against what is left of this message
/// before it is used, so a hostile file fails with <see cref="InvalidDataException"/> instead of a huge
/// allocation or an out-of-range read.
/// </summary>
internal ref struct ProtoWireReader(ReadOnlySpan<byte> data, string context)
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    readonly ReadOnlySpan<byte> _data = data;
    readonly string _context = context;
    int _pos;

    public readonly bool More => _pos < _data.Length;

    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        ulong field = tag >> 3;
        if (field == 0 || field > int.MaxValue) throw Invalid($"field number {field} at offset {_pos}");
        return ((int)field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_pos >= _data.Length) throw Invalid("truncated varint");
            byte b = _data[_pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Invalid("varint longer than 10 bytes");
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _pos))
            throw Invalid($"length {length} at offset {_pos} exceeds the {_data.Length - _pos} bytes left");
        var bytes = _data.Slice(_pos, (int)length);
        _pos += (int)length;
        return bytes;
    }

    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadBytes());

    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Take(4); break;
            // Groups (3, 4) are deprecated and never emitted for ONNX; anything else is corruption.
            default: throw Invalid($"unsupported wire type {wireType} at offset {_pos}");
        }
    }

    /// <summary>Appends one repeated int64 field occurrence, accepting both packed and unpacked encodings.</summary>
    public void ReadInt64s(int wireType, List<long> into)
    {
        if (wireType == Varint) { into.Add((long)ReadVarint()); return; }
        if (wireType != LengthDelimited) throw Invalid($"wire type {wireType} for a repeated int64");
        var packed = new ProtoWireReader(ReadBytes(), _context);
        while (packed.More) into.Add((long)packed.ReadVarint());
    }

    /// <summary>Appends one repeated float field occurrence, accepting both packed and unpacked encodings.</summary>
    public void ReadFloats(int wireType, List<float> into)
    {
        if (wireType == Fixed32) { into.Add(BitConverter.UInt32BitsToSingle(ReadFixed32())); return; }
        if (wireType != LengthDelimited) throw Invalid($"wire type {wireType} for a repeated float");
        var packed = ReadBytes();
        if (packed.Length % 4 != 0) throw Invalid($"packed float field of {packed.Length} bytes");
        for (int i = 0; i < packed.Length; i += 4)
            into.Add(BinaryPrimitives.ReadSingleLittleEndian(packed.Slice(i, 4)));
    }

    public readonly InvalidDataException Invalid(string what) =>
        new($"Malformed ONNX protobuf in {_context}: {what}.");

    ReadOnlySpan<byte> Take(int count)
    {
        if (_data.Length - _pos < count) throw Invalid($"truncated {count}-byte value at offset {_pos}");
        var bytes = _data.Slice(_pos, count);
        _pos += count;
        return bytes;
    }
}
