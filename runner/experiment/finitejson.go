package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
)

// JSON has no NaN or infinity and encoding/json refuses to marshal them. The result types
// of this package whose numbers can be undefined (a paired test of one seed, the mean gain
// of a sleep that ran away on every network) marshal through finiteJSON: each such number
// is written as null, followed by the key "<name>_reason" saying why.

// finiteJSON marshals the struct v as encoding/json would (names from json tags, omitempty
// honoured, each field by its own marshaller), except that a float64 field, or a []float64
// with an element, that is NaN or ±Inf is written with null in its place and followed by
// "<name>_reason": reason(name), or a description of the value when reason returns "". v must
// be a struct without embedded fields and of a type without a MarshalJSON method (pass a
// value of a local alias type).
func finiteJSON(v any, reason func(key string) string) ([]byte, error) {
	rv := reflect.ValueOf(v)
	var b bytes.Buffer
	b.WriteByte('{')
	sep := func() {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
	}
	put := func(key string, val any) error {
		enc, err := json.Marshal(val)
		if err != nil {
			return fmt.Errorf("experiment: %s: %w", key, err)
		}
		k, err := json.Marshal(key)
		if err != nil {
			return err
		}
		sep()
		b.Write(k)
		b.WriteByte(':')
		b.Write(enc)
		return nil
	}
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		if f.Anonymous {
			panic("experiment: finiteJSON does not handle embedded fields")
		}
		key, omit, ok := jsonKey(f)
		if !ok {
			continue
		}
		fv := rv.Field(i)
		if omit && isEmpty(fv) {
			continue
		}
		val, why := fv.Interface(), ""
		switch x := val.(type) {
		case float64:
			if bad(x) {
				val, why = nil, describe(x)
			}
		case []float64:
			if slicesHasBad(x) {
				out := make([]any, len(x))
				var notes []string
				for k, e := range x {
					if bad(e) {
						notes = append(notes, fmt.Sprintf("element %d is %s", k, describe(e)))
						continue
					}
					out[k] = e
				}
				val, why = out, strings.Join(notes, "; ")
			}
		}
		if err := put(key, val); err != nil {
			return nil, err
		}
		if why != "" {
			if r := reason(key); r != "" {
				why = r
			}
			if err := put(key+"_reason", why); err != nil {
				return nil, err
			}
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// unmarshalFinite is json.Unmarshal into p, a pointer to a struct of the kind finiteJSON
// takes, reading a null float64 field or []float64 element as NaN.
func unmarshalFinite(data []byte, p any) error {
	if err := json.Unmarshal(data, p); err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	rv := reflect.ValueOf(p).Elem()
	for i := range rv.NumField() {
		key, _, ok := jsonKey(rv.Type().Field(i))
		r, found := raw[key]
		if !ok || !found {
			continue
		}
		switch dst := rv.Field(i).Addr().Interface().(type) {
		case *float64:
			if string(r) == "null" {
				*dst = math.NaN()
			}
		case *[]float64:
			var ps []*float64
			if err := json.Unmarshal(r, &ps); err != nil {
				return err
			}
			for k, e := range ps {
				if e == nil && k < len(*dst) {
					(*dst)[k] = math.NaN()
				}
			}
		}
	}
	return nil
}

// jsonKey is the field's JSON name and whether it is omitempty; ok is false for "-" and
// unexported fields.
func jsonKey(f reflect.StructField) (key string, omitempty, ok bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name, strings.Contains(","+opts+",", ",omitempty,"), true
}

// isEmpty is encoding/json's rule for omitempty.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

func bad(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

func slicesHasBad(x []float64) bool {
	for _, v := range x {
		if bad(v) {
			return true
		}
	}
	return false
}

func describe(x float64) string {
	if math.IsNaN(x) {
		return "not a number"
	}
	return fmt.Sprintf("%v", x)
}
